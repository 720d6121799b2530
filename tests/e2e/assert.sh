# Assertions shared by the shell suites: one PASS/FAIL line per check and a closing count.
# Source it, call the expect_* functions, end with `finish SUITE`.
passed=0
failed=0

pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# expect_exit CODE DESCRIPTION -- COMMAND...: runs COMMAND, keeps its output in $out and $err.
expect_exit() {
    local want=$1 what=$2
    shift 3
    local out_file err_file
    out_file=$(mktemp) err_file=$(mktemp)
    timeout 120 "$@" >"$out_file" 2>"$err_file"
    local got=$?
    out=$(cat "$out_file") err=$(cat "$err_file")
    rm -f "$out_file" "$err_file"
    if [ "$got" = "$want" ]; then
        pass "$what (exit $got)"
    else
        fail "$what: exit $got, expected $want"
        printf '  stdout: %s\n  stderr: %s\n' "${out:0:2000}" "${err:0:2000}"
    fi
}

# expect_contains HAYSTACK NEEDLE DESCRIPTION
expect_contains() {
    if [[ "$1" == *"$2"* ]]; then pass "$3"; else fail "$3: \"$2\" not in: ${1:0:2000}"; fi
}

expect_not_contains() {
    if [[ "$1" != *"$2"* ]]; then pass "$3"; else fail "$3: \"$2\" unexpectedly in: ${1:0:2000}"; fi
}

# expect_equal GOT WANT DESCRIPTION
expect_equal() {
    if [ "$1" = "$2" ]; then pass "$3"; else fail "$3: got \"$1\", expected \"$2\""; fi
}

finish() {
    echo "$1: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# validate SCHEMA_NAME FILE DESCRIPTION: real output against the JSON Schema that ships in schemas/.
validate() {
    if /usr/bin/python3 - "$(dirname "${BASH_SOURCE[0]}")/../../schemas/$1.json" "$2" <<'PY'; then pass "$3"; else fail "$3"; fi
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
for error in errors[:5]:
    print("  schema:", "/".join(map(str, error.path)), error.message[:300])
sys.exit(1 if errors else 0)
PY
}

json_get() {  # json_get FILE PYTHON_EXPRESSION_ON_d
    /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}
