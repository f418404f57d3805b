#!/usr/bin/env bash
# Installs the Python test oracles for the estimators (scikit-learn, NumPy) into .venv-oracles at the repository
# root (git-ignored). They regenerate Tests/Fixtures/estimators/*.json and are never dependencies of the package.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
python3 -m venv "$root/.venv-oracles"
"$root/.venv-oracles/bin/pip" install --quiet "scikit-learn==1.6.1" "numpy>=2,<3"
"$root/.venv-oracles/bin/python" -c "import sklearn, numpy; print('scikit-learn', sklearn.__version__, 'numpy', numpy.__version__)"
