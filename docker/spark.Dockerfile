# syntax=docker/dockerfile:1.7
# Image of the streaming job: the official Apache Spark image of the matching version, the Spark Kafka connector
# jars, a Python >= 3.11 virtualenv with the project, and the spark-submit entry file.
# Build from the repository root:  docker build -f docker/spark.Dockerfile -t movierecs-streaming .
ARG SPARK_VERSION=4.0.1
ARG SPARK_IMAGE=spark:${SPARK_VERSION}-scala2.13-java21-python3-ubuntu

# --- the Kafka source/sink for Structured Streaming and its runtime dependencies (the rest is in Spark) --------
FROM ${SPARK_IMAGE} AS kafka-jars
ARG SPARK_VERSION
ARG SCALA_BINARY_VERSION=2.13
# The versions spark-sql-kafka-0-10 ${SPARK_VERSION} depends on (see its POM on Maven Central).
ARG KAFKA_CLIENTS_VERSION=3.9.0
ARG COMMONS_POOL2_VERSION=2.12.0
ARG MAVEN_CENTRAL=https://repo1.maven.org/maven2
USER root
WORKDIR /jars
# Each jar is checked against the checksum published next to it on Maven Central.
RUN set -eu; \
    for path in \
      "org/apache/spark/spark-sql-kafka-0-10_${SCALA_BINARY_VERSION}/${SPARK_VERSION}/spark-sql-kafka-0-10_${SCALA_BINARY_VERSION}-${SPARK_VERSION}.jar" \
      "org/apache/spark/spark-token-provider-kafka-0-10_${SCALA_BINARY_VERSION}/${SPARK_VERSION}/spark-token-provider-kafka-0-10_${SCALA_BINARY_VERSION}-${SPARK_VERSION}.jar" \
      "org/apache/kafka/kafka-clients/${KAFKA_CLIENTS_VERSION}/kafka-clients-${KAFKA_CLIENTS_VERSION}.jar" \
      "org/apache/commons/commons-pool2/${COMMONS_POOL2_VERSION}/commons-pool2-${COMMONS_POOL2_VERSION}.jar"; \
    do \
      jar="$(basename "$path")"; \
      wget -q -O "$jar" "${MAVEN_CENTRAL}/${path}"; \
      echo "$(wget -q -O - "${MAVEN_CENTRAL}/${path}.sha1" | cut -c1-40)  ${jar}" | sha1sum -c -; \
    done

# --- the job ------------------------------------------------------------------------------------------------------
FROM ${SPARK_IMAGE}
LABEL org.opencontainers.image.title="movierecs-streaming" \
      org.opencontainers.image.description="movie-recs Spark Structured Streaming job (Kafka -> MongoDB)" \
      org.opencontainers.image.licenses="Apache-2.0"
USER root
# The project needs Python >= 3.11; the Spark image's Ubuntu 22.04 ships 3.10. Python 3.11 (the version the test
# suite runs on) from deadsnakes runs the driver and the executors' Python workers (PYSPARK_PYTHON); pyspark
# itself comes from /opt/spark/python.
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends software-properties-common gpg-agent; \
    add-apt-repository -y ppa:deadsnakes/ppa; \
    apt-get install -y --no-install-recommends python3.11 python3.11-venv; \
    apt-get purge -y --auto-remove software-properties-common gpg-agent; \
    rm -rf /var/lib/apt/lists/*; \
    python3.11 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYSPARK_PYTHON=/opt/venv/bin/python \
    PYSPARK_DRIVER_PYTHON=/opt/venv/bin/python \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Dependencies in their own layer (see api.Dockerfile). No pyspark from PyPI: the image's Spark provides it.
WORKDIR /src
COPY pyproject.toml README.md ./
RUN --mount=type=cache,target=/root/.cache/pip \
    mkdir -p apps/movierecs spark-jobs/movierecs_streaming \
 && touch apps/movierecs/__init__.py spark-jobs/movierecs_streaming/__init__.py \
 && pip install . "pyarrow>=15" "pandas>=2.1" \
 && pip uninstall -y movierecs \
 && rm -rf apps spark-jobs

COPY --from=kafka-jars /jars/*.jar /opt/spark/jars/
COPY apps ./apps
COPY spark-jobs ./spark-jobs
RUN pip install --no-deps --no-compile . \
 && mkdir -p /opt/movierecs \
 && rm -rf /src
COPY docker/streaming_main.py /opt/movierecs/streaming_main.py

# The official image's spark user; its entrypoint (/opt/entrypoint.sh) is kept for the Spark Operator.
USER 185
WORKDIR /opt/spark/work-dir
