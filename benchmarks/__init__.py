"""`make bench` (benchmarks.run): the function code and the shared layer are importable as in Lambda."""

from localdev.paths import use_lambda_paths

use_lambda_paths()
