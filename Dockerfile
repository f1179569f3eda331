FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# Pango and a font: WeasyPrint prints the supplier scorecard reports to PDF with them
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 srm
WORKDIR /app
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
RUN pip install . && rm -rf /root/.cache

USER srm
WORKDIR /home/srm
HEALTHCHECK --interval=60s --timeout=20s --start-period=30s --retries=3 CMD ["srm-bridge", "status", "--json"]
ENTRYPOINT ["srm-bridge"]
CMD ["run"]
