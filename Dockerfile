FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    SRM_BRIDGE_SCHEDULER__HTTP__HOST=0.0.0.0 SRM_BRIDGE_SCHEDULER__HTTP__PORT=8080
# Pango and a font: WeasyPrint prints the supplier scorecard reports to PDF with them
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 srm
WORKDIR /app
# dependencies first, pinned by the constraints file, so code changes reuse this layer
COPY constraints.txt ./
RUN pip install --constraint constraints.txt $(grep -v '^#' constraints.txt)
COPY pyproject.toml README.md ./
COPY config ./config
COPY domain ./domain
COPY connectors ./connectors
COPY mapping ./mapping
COPY store ./store
COPY sync ./sync
COPY scheduler ./scheduler
COPY sandbox ./sandbox
COPY console ./console
RUN pip install --constraint constraints.txt --no-deps . && pip check && rm -rf /root/.cache

# embedded data (the SQLite database, the filesystem broker folder) when no PostgreSQL/RabbitMQ is configured
RUN mkdir /data && chown srm:srm /data
USER srm
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('SRM_BRIDGE_SCHEDULER__HTTP__PORT', '8080'), timeout=4)"]
ENTRYPOINT ["srm-bridge"]
CMD ["run"]
