"""Render each state machine of orchestration/template.yaml as CloudFormation would deploy it,
so that validators that know nothing of CloudFormation (asl-validator, statelint; `make lint`)
check the definitions AWS would receive.

For every AWS::StepFunctions::StateMachine with a DefinitionS3Location, every `${Name}` of its
file is replaced by a sample value for the template's DefinitionSubstitutions entry `Name`
(what CloudFormation does at deploy time), and the result is written to OUT_DIR/<file name>.
A placeholder without a substitution, or a rendered file that is not JSON, fails the script.

    python scripts/render_state_machines.py OUT_DIR
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "orchestration" / "template.yaml"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")

ACCOUNT = "123456789012"
REGION = "us-east-1"
# Values of the shape a deployed stack gives (ARNs, names, URIs), so that validators checking
# formats see real ones. A substitution not listed here gets its parameter's default, or
# `sample-<Name>` (every placeholder sits inside a JSON string, so any such value keeps the JSON).
SAMPLES = {
    "LockTableName": "airline-elt-LockTable-1ABCDEF",
    "GlueJobName": "airline-elt-landing",
    "DbtClusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/airline-elt-DbtCluster-1ABCDEF",
    "DbtTaskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/airline-elt-dbt:3",
    "DbtSubnetIds": "subnet-0a1b2c3d,subnet-4e5f6a7b",
    "DbtSecurityGroupId": "sg-0a1b2c3d4e5f6a7b8",
    "DbtAssignPublicIp": "DISABLED",
    "DbtTarget": "prod",
    "RedshiftClusterIdentifier": "airline-elt",
    "RedshiftDatabase": "dev",
    "RedshiftSecretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:redshift-AbCdEf",
    "TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:airline-elt-NotificationTopic-1ABCDEF",
    "DocsS3Uri": "s3://airline-elt-docsbucket-1abcdef/dbt-docs/",
    "StateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:airline-elt-pipeline",
    "FetchFunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:airline-elt-fetch",
}


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (!Ref, !Sub, ...) read as their long form."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)


def sample_value(name: str, expression: Any, parameters: dict[str, Any]) -> str:
    if name in SAMPLES:
        return SAMPLES[name]
    if isinstance(expression, dict) and "Ref" in expression:
        parameter = parameters.get(expression["Ref"], {})
        for key in ("Default", "MinValue"):
            if key in parameter:
                return str(parameter[key])
    return f"sample-{name}"


def render(definition_file: Path, substitutions: dict[str, Any], parameters: dict[str, Any]) -> str:
    text = definition_file.read_text(encoding="utf-8")
    missing = sorted(set(PLACEHOLDER.findall(text)) - set(substitutions))
    if missing:
        raise SystemExit(f"{definition_file.name}: no DefinitionSubstitutions entry for {missing}")
    values = {name: sample_value(name, expr, parameters) for name, expr in substitutions.items()}
    rendered = PLACEHOLDER.sub(lambda m: values[m.group(1)], text)
    json.loads(rendered)  # still JSON once rendered
    return rendered


def main(out_dir: str) -> None:
    template = load_template()
    parameters = template.get("Parameters", {})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    machines = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    rendered_files = []
    for machine in machines:
        definition_file = TEMPLATE.parent / machine["DefinitionS3Location"]
        substitutions = machine.get("DefinitionSubstitutions", {})
        (out / definition_file.name).write_text(
            render(definition_file, substitutions, parameters), encoding="utf-8"
        )
        rendered_files.append(definition_file.name)
    if not rendered_files:
        raise SystemExit("no state machine with a DefinitionS3Location in the template")
    print(f"rendered {', '.join(rendered_files)} -> {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
