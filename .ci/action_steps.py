"""Run the steps of action.yml as GitHub Actions would, on this machine.

    python3 .ci/action_steps.py ACTION_DIR WORKSPACE RUNNER_TEMP CACHE_DIR [NAME=VALUE...]

Reads ACTION_DIR/action.yml (PyYAML), substitutes `${{ … }}` expressions
(inputs with their defaults, steps' outputs and outcomes, runner.* and
github.*), evaluates each step's `if:`, and runs the `run:` steps in order
with bash, in WORKSPACE, with GITHUB_ACTION_PATH=ACTION_DIR and the
GITHUB_OUTPUT / GITHUB_PATH files honoured. Of the `uses:` steps,
actions/cache is emulated with CACHE_DIR as the cache store (a hit restores
the saved folder; after a job that succeeded a miss is saved), and
github/codeql-action/upload-sarif is checked, not run: its file must be SARIF.

Prints the output of every step and, last, one line of JSON: the job's
result, each step's outcome and outputs, and the upload made. Exits 0
whatever the job's result (the caller checks it), 3 when the action itself
cannot be run (an unknown `uses:`, an expression it cannot evaluate).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml


class Unsupported(Exception):
    pass


def main():
    action_dir, workspace, runner_temp, cache_dir = sys.argv[1:5]
    given = dict(arg.split("=", 1) for arg in sys.argv[5:])
    with open(os.path.join(action_dir, "action.yml"), encoding="utf-8") as f:
        action = yaml.safe_load(f)
    if action["runs"]["using"] != "composite":
        raise Unsupported("not a composite action")

    declared = action.get("inputs", {})
    unknown = set(given) - set(declared)
    if unknown:
        raise Unsupported(f"inputs not declared in action.yml: {sorted(unknown)}")
    inputs = {k: str(v.get("default", "")) for k, v in declared.items()}
    inputs.update(given)

    ctx = {
        "inputs": inputs,
        "steps": {},
        "runner": {"temp": runner_temp, "os": "Linux", "arch": "X64"},
        "github": {"action_path": action_dir, "workspace": workspace},
    }
    env = dict(os.environ)
    env.update(
        GITHUB_ACTION_PATH=action_dir,
        GITHUB_WORKSPACE=workspace,
        RUNNER_TEMP=runner_temp,
        RUNNER_OS="Linux",
        RUNNER_ARCH="X64",
        GITHUB_ACTIONS="true",
        CI="true",
    )
    path_file = os.path.join(runner_temp, "github_path")
    open(path_file, "w").close()
    env["GITHUB_PATH"] = path_file

    failed = False
    report = {"steps": [], "upload": None}
    to_save = []
    for i, step in enumerate(action["runs"]["steps"]):
        sid = step.get("id", f"__{i}")
        name = step.get("name", sid)
        cond = step.get("if", "success()")
        if not truthy(evaluate(cond, ctx, failed)):
            ctx["steps"][sid] = {"outputs": {}, "outcome": "skipped"}
            report["steps"].append({"name": name, "outcome": "skipped"})
            print(f"== step: {name}: skipped ({cond})", flush=True)
            continue
        print(f"== step: {name}", flush=True)
        outputs = {}
        if "run" in step:
            if step.get("shell") != "bash":
                raise Unsupported(f"step {name}: shell {step.get('shell')!r}")
            step_env = dict(env)
            for k, v in (step.get("env") or {}).items():
                step_env[k] = substitute(str(v), ctx, failed)
            out_file = os.path.join(runner_temp, f"github_output_{i}")
            open(out_file, "w").close()
            step_env["GITHUB_OUTPUT"] = out_file
            step_env["PATH"] = extended_path(path_file, env["PATH"])
            script = substitute(step["run"], ctx, failed)
            with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as s:
                s.write(script)
            # GitHub runs `shell: bash` as `bash --noprofile --norc -eo pipefail {0}`.
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", s.name],
                cwd=workspace,
                env=step_env,
            )
            os.unlink(s.name)
            outputs = read_outputs(out_file)
            ok = proc.returncode == 0
        elif step.get("uses", "").startswith("actions/cache@"):
            args = {k: substitute(str(v), ctx, failed) for k, v in step["with"].items()}
            stored = os.path.join(cache_dir, args["key"])
            if os.path.isdir(stored):
                shutil.rmtree(args["path"], ignore_errors=True)
                shutil.copytree(stored, args["path"], symlinks=True)
                outputs = {"cache-hit": "true"}
                print(f"cache restored from key {args['key']}")
            else:
                outputs = {"cache-hit": "false"}
                to_save.append((args["path"], stored))
                print(f"cache not found for key {args['key']}")
            ok = True
        elif step.get("uses", "").startswith("github/codeql-action/upload-sarif@"):
            args = {k: substitute(str(v), ctx, failed) for k, v in step["with"].items()}
            sarif = os.path.join(workspace, args["sarif_file"])
            with open(sarif, encoding="utf-8") as f:
                doc = json.load(f)
            ok = doc.get("version") == "2.1.0" and isinstance(doc.get("runs"), list)
            report["upload"] = {
                "with": args,
                "results": sum(len(r.get("results", [])) for r in doc.get("runs", [])),
            }
            print(f"would upload {args['sarif_file']} (category {args.get('category')})")
        else:
            raise Unsupported(f"step {name}: uses {step.get('uses')!r}")
        outcome = "success" if ok else "failure"
        if not ok and not step.get("continue-on-error"):
            failed = True
        ctx["steps"][sid] = {"outputs": outputs, "outcome": outcome}
        report["steps"].append({"name": name, "outcome": outcome, "outputs": outputs})
        print(f"== step: {name}: {outcome}", flush=True)

    if not failed:
        for path, stored in to_save:
            if os.path.isdir(path) and not os.path.exists(stored):
                shutil.copytree(path, stored, symlinks=True)
    report["result"] = "failure" if failed else "success"
    report["outputs"] = {
        k: substitute(str(v.get("value", "")), ctx, failed)
        for k, v in (action.get("outputs") or {}).items()
    }
    print("ACTION-REPORT " + json.dumps(report), flush=True)


def extended_path(path_file, path):
    with open(path_file, encoding="utf-8") as f:
        added = [line.strip() for line in f if line.strip()]
    return os.pathsep.join(list(reversed(added)) + [path])


def read_outputs(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delim = line.split("<<", 1)
            j = lines.index(delim, i + 1)
            out[key] = "\n".join(lines[i + 1 : j])
            i = j + 1
            continue
        if "=" in line:
            key, value = line.split("=", 1)
            out[key] = value
        i += 1
    return out


TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\))"
    r"|(?P<call>[a-z]+\(\))|(?P<name>[A-Za-z_][A-Za-z0-9_.-]*))"
)


def lookup(name, ctx):
    value = ctx
    for part in name.split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(part, "")
    return value if isinstance(value, str) else ("" if value == {} else value)


def evaluate(expr, ctx, failed):
    """A GitHub expression made of names, strings, ==, !=, &&, ||, !,
    parentheses and always()/success()/failure()."""
    expr = expr.strip()
    if expr.startswith("${{") and expr.endswith("}}"):
        expr = expr[3:-2]
    py = []
    pos = 0
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            if expr[pos:].strip() == "":
                break
            raise Unsupported(f"cannot evaluate `{expr}` at {expr[pos:]!r}")
        pos = m.end()
        if m.group("str") is not None:
            py.append(repr(m.group("str")[1:-1].replace("''", "'")))
        elif m.group("op"):
            py.append({"&&": " and ", "||": " or ", "!": " not "}.get(m.group("op"), m.group("op")))
        elif m.group("call"):
            fn = m.group("call")
            values = {"always()": True, "success()": not failed, "failure()": failed}
            if fn not in values:
                raise Unsupported(f"function {fn}")
            py.append(repr(values[fn]))
        else:
            name = m.group("name")
            if name in ("true", "false"):
                py.append(repr(name == "true"))
            elif name.split(".")[0] not in ctx:
                raise Unsupported(f"unknown context in `{expr}`: {name}")
            else:
                py.append(repr(lookup(name, ctx)))
    return eval("".join(py), {"__builtins__": {}}, {})  # noqa: S307 - built from tokens above


def truthy(v):
    return bool(v) if not isinstance(v, str) else v != ""


def substitute(text, ctx, failed):
    def one(m):
        v = evaluate(m.group(1), ctx, failed)
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    return re.sub(r"\$\{\{(.*?)\}\}", one, text)


if __name__ == "__main__":
    try:
        main()
    except Unsupported as e:
        print(f"action_steps.py: {e}", file=sys.stderr)
        sys.exit(3)
