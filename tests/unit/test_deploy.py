"""The deployment files agree with the code: every SRM_BRIDGE_* variable they set names a real setting with
a valid value, every port is the endpoint's, every probe path is served, every grace outlasts the service's."""
import os
import re
import tomllib
from pathlib import Path

import yaml
from pydantic import BaseModel

from config import load_settings
from config.settings import ENV_PREFIX, HttpSettings, SchedulerSettings, Settings
from scheduler.http import OPERATIONAL_PATHS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PORT = HttpSettings().port
GRACE_S = SchedulerSettings().stop_grace_s
COMPOSE_DEFAULT = re.compile(r"^\$\{[A-Z0-9_]+:-(.*)\}$")
LIVENESS, READINESS, METRICS = OPERATIONAL_PATHS


def clear_settings_environment(monkeypatch) -> None:  # noqa: ANN001
    for name in [name for name in os.environ if name.startswith(ENV_PREFIX)]:
        monkeypatch.delenv(name)


def setting_exists(path: list[str]) -> bool:
    model: type[BaseModel] = Settings
    for depth, part in enumerate(path):
        field = model.model_fields.get(part)
        if field is None:
            return False
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            return depth == len(path) - 1
    return False


def check_variables(variables: dict[str, str], monkeypatch, where: str) -> Settings:  # noqa: ANN001
    """Each name is a setting (or SRM_BRIDGE_CONFIG), and all of them together load."""
    assert variables, f"{where} sets no SRM_BRIDGE_ variable"
    clear_settings_environment(monkeypatch)
    for name, value in variables.items():
        if name == f"{ENV_PREFIX}CONFIG":
            continue
        path = name.removeprefix(ENV_PREFIX).lower().split("__")
        assert setting_exists(path), f"{where}: {name} names no setting"
        monkeypatch.setenv(name, value)
    return load_settings()


def served_port(variables: dict[str, str]) -> int:
    return int(variables.get(f"{ENV_PREFIX}SCHEDULER__HTTP__PORT", PORT))


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def kubernetes() -> dict[str, dict]:
    documents = {}
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document and "kind" in document and document["kind"] != "Kustomization":
                documents[document["kind"]] = document
    return documents


def test_compose_sets_real_settings_and_serves_the_endpoint_port(monkeypatch):
    services = compose()["services"]
    assert {"postgres", "rabbitmq", "srm-bridge", "sap-standin", "salesforce-standin"} <= set(services)
    assert "management" in services["rabbitmq"]["image"]
    assert all(services[name]["profiles"] == ["standins"] for name in ("sap-standin", "salesforce-standin"))
    bridge = services["srm-bridge"]
    variables = {name: COMPOSE_DEFAULT.sub(r"\1", str(value)) for name, value in bridge["environment"].items()
                 if name.startswith(ENV_PREFIX)}
    settings = check_variables(variables, monkeypatch, "compose.yaml")
    assert settings.database.url.startswith("postgresql://") and settings.broker.url.startswith("amqp://")
    assert settings.scheduler.http.host == "0.0.0.0"
    assert [port.split(":")[-1] for port in bridge["ports"]] == [str(served_port(variables))]
    assert int(bridge["stop_grace_period"].removesuffix("s")) > settings.scheduler.stop_grace_s
    standin_ports = {int(s["command"][s["command"].index("--port") + 1]) for n, s in services.items() if "standin" in n}
    sap_ports = {int(getattr(settings.sap, stream).url.split(":")[2].split("/")[0])
                 for stream in ("purchase_orders", "goods_movements")}
    assert standin_ports == sap_ports | {int(settings.salesforce.login_url.split(":")[2])}


def test_kubernetes_runs_two_replicas_probed_on_the_endpoint_with_secret_credentials(monkeypatch):
    documents = kubernetes()
    deployment, secret, service = documents["Deployment"], documents["Secret"], documents["Service"]
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    env = {item["name"]: item for item in container["env"]}
    plain = {name: item["value"] for name, item in env.items() if "value" in item}
    from_secret = {name: item["valueFrom"]["secretKeyRef"] for name, item in env.items() if "valueFrom" in item}
    assert {"SRM_BRIDGE_DATABASE__URL", "SRM_BRIDGE_BROKER__URL"} <= set(from_secret)
    for name, reference in from_secret.items():
        assert reference["name"] == secret["metadata"]["name"] and reference["key"] in secret["stringData"], name
    check_variables({**plain, **{name: secret["stringData"][ref["key"]] for name, ref in from_secret.items()}},
                    monkeypatch, "deployment.yaml")
    [port] = container["ports"]
    assert port["containerPort"] == served_port(plain) and port["name"] == "http"
    assert container["livenessProbe"]["httpGet"] == {"path": LIVENESS, "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": READINESS, "port": "http"}
    assert pod["terminationGracePeriodSeconds"] > GRACE_S
    assert service["spec"]["ports"][0]["targetPort"] == "http" and service["spec"]["ports"][0]["port"] == served_port(plain)
    [endpoint] = documents["ServiceMonitor"]["spec"]["endpoints"]
    assert endpoint["port"] == service["spec"]["ports"][0]["name"] and endpoint["path"] == METRICS


def test_kubernetes_config_file_is_valid_and_named_by_the_deployment(tmp_path, monkeypatch):
    documents = kubernetes()
    config = tmp_path / "config.yaml"
    config.write_text(documents["ConfigMap"]["data"]["config.yaml"])
    clear_settings_environment(monkeypatch)
    load_settings(config)
    [container] = documents["Deployment"]["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item.get("value") for item in container["env"]}
    mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
    assert Path(env["SRM_BRIDGE_CONFIG"]).parent == Path(mount["mountPath"])
    kustomization = yaml.safe_load((DEPLOY / "kubernetes" / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(p.name for p in (DEPLOY / "kubernetes").glob("*.yaml")
                                                        if p.name != "kustomization.yaml")


def test_systemd_unit_sets_real_settings_and_outlasts_the_grace(monkeypatch):
    unit = (DEPLOY / "srm-bridge.service").read_text()
    variables = dict(re.findall(r"^Environment=(SRM_BRIDGE_[A-Z0-9_]+)=(.*)$", unit, flags=re.MULTILINE))
    check_variables(variables, monkeypatch, "srm-bridge.service")
    assert re.search(r"^ExecStart=\S+/srm-bridge run$", unit, flags=re.MULTILINE)
    assert int(re.search(r"^TimeoutStopSec=(\d+)$", unit, flags=re.MULTILINE).group(1)) > GRACE_S
    assert re.search(r"^KillSignal=SIGTERM$", unit, flags=re.MULTILINE)


def test_dockerfile_probes_healthz_exposes_the_port_and_pins_its_dependencies(monkeypatch):
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    variables = dict(re.findall(r"(SRM_BRIDGE_[A-Z0-9_]+)=(\S+)", " ".join(re.findall(r"^ENV (.*)$", dockerfile,
                                                                                       flags=re.MULTILINE))))
    check_variables(variables, monkeypatch, "Dockerfile")
    assert re.search(rf"^EXPOSE {served_port(variables)}$", dockerfile, flags=re.MULTILINE)
    healthcheck = re.search(r"^HEALTHCHECK .*$", dockerfile, flags=re.MULTILINE).group(0)
    assert LIVENESS in healthcheck and "SRM_BRIDGE_SCHEDULER__HTTP__PORT" in healthcheck
    assert f"'{served_port(variables)}'" in healthcheck
    assert re.search(r"^VOLUME ", dockerfile, flags=re.MULTILINE)
    assert "--constraint constraints.txt" in dockerfile


def test_constraints_pin_every_runtime_dependency():
    pins = {re.split(r"[=<>!~]", line)[0].lower().replace("_", "-")
            for line in (ROOT / "constraints.txt").read_text().splitlines() if line and not line.startswith("#")}
    assert all("==" in line for line in (ROOT / "constraints.txt").read_text().splitlines()
               if line and not line.startswith("#"))
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[\[<>=!~ ]", dependency)[0].lower().replace("_", "-") for dependency in dependencies}
    missing = sorted(names - pins)
    assert not missing, f"constraints.txt lacks {missing}: run `make constraints`"

