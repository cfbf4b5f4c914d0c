"""spark-submit entry file of the streaming job (SparkApplication.spec.mainApplicationFile).

spark-submit needs a file; the job is the installed ``movierecs_streaming`` package, so this runs it exactly as
``python -m movierecs_streaming`` would.
"""

import runpy

if __name__ == "__main__":
    runpy.run_module("movierecs_streaming", run_name="__main__", alter_sys=True)
