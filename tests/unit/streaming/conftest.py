from tests.spark_fixtures import spark  # noqa: F401  (the shared session fixture)
