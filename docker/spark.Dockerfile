# syntax=docker/dockerfile:1.7
# Image of the streaming job: the official Apache Spark image of the matching version, the Spark Kafka connector
# jars, a Python >= 3.11 virtualenv with the project, and the spark-submit entry file.
# Build from the repository root:  docker build -f docker/spark.Dockerfile -t movierecs-streaming .
# Spark here, pyspark in the project (pip show pyspark) and sparkVersion in charts/movierecs-streaming stay equal.
ARG SPARK_VERSION=4.3.0
ARG SCALA_BINARY_VERSION=2.13
ARG SPARK_IMAGE=spark:${SPARK_VERSION}-scala${SCALA_BINARY_VERSION}-java21-python3-ubuntu

# --- the Kafka source/sink for Structured Streaming and its runtime dependencies (the rest is in Spark) --------
FROM ${SPARK_IMAGE} AS kafka-jars
ARG SPARK_VERSION
ARG SCALA_BINARY_VERSION
# spark-sql-kafka-0-10 needs, at runtime, spark-token-provider-kafka-0-10 of the same Spark version plus the
# kafka-clients and commons-pool2 versions that Spark release was built with. Those two are read from the
# spark-parent POM of ${SPARK_VERSION} (properties kafka.version and commons-pool2.version), so the jars always
# match the Spark of the image; set the build args only to override them.
ARG KAFKA_CLIENTS_VERSION=""
ARG COMMONS_POOL2_VERSION=""
ARG MAVEN_CENTRAL=https://repo1.maven.org/maven2
USER root
WORKDIR /jars
# Every file is checked against the SHA-1 Maven Central publishes next to it.
RUN set -eu; \
    fetch() { \
      wget -q -O "$2" "${MAVEN_CENTRAL}/$1"; \
      echo "$(wget -q -O - "${MAVEN_CENTRAL}/$1.sha1" | cut -c1-40)  $2" | sha1sum -c -; \
    }; \
    spark="org/apache/spark"; \
    fetch "${spark}/spark-parent_${SCALA_BINARY_VERSION}/${SPARK_VERSION}/spark-parent_${SCALA_BINARY_VERSION}-${SPARK_VERSION}.pom" \
      /tmp/spark-parent.pom; \
    property() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" /tmp/spark-parent.pom | head -n 1; }; \
    kafka_clients="${KAFKA_CLIENTS_VERSION:-$(property kafka.version)}"; \
    commons_pool2="${COMMONS_POOL2_VERSION:-$(property commons-pool2.version)}"; \
    if [ -z "${kafka_clients}" ] || [ -z "${commons_pool2}" ]; then \
      echo "kafka.version or commons-pool2.version not found in spark-parent ${SPARK_VERSION}" >&2; exit 1; \
    fi; \
    echo "Spark ${SPARK_VERSION}: kafka-clients ${kafka_clients}, commons-pool2 ${commons_pool2}"; \
    for path in \
      "${spark}/spark-sql-kafka-0-10_${SCALA_BINARY_VERSION}/${SPARK_VERSION}/spark-sql-kafka-0-10_${SCALA_BINARY_VERSION}-${SPARK_VERSION}.jar" \
      "${spark}/spark-token-provider-kafka-0-10_${SCALA_BINARY_VERSION}/${SPARK_VERSION}/spark-token-provider-kafka-0-10_${SCALA_BINARY_VERSION}-${SPARK_VERSION}.jar" \
      "org/apache/kafka/kafka-clients/${kafka_clients}/kafka-clients-${kafka_clients}.jar" \
      "org/apache/commons/commons-pool2/${commons_pool2}/commons-pool2-${commons_pool2}.jar"; \
    do \
      fetch "${path}" "$(basename "${path}")"; \
    done; \
    rm /tmp/spark-parent.pom

# --- the job ------------------------------------------------------------------------------------------------------
FROM ${SPARK_IMAGE}
LABEL org.opencontainers.image.title="movierecs-streaming" \
      org.opencontainers.image.description="movie-recs Spark Structured Streaming job (Kafka -> MongoDB)" \
      org.opencontainers.image.licenses="Apache-2.0"
USER root
# The project needs Python >= 3.11; the Spark images' Ubuntu (22.04, from eclipse-temurin:21-jammy) ships 3.10.
# Python 3.11 (the version the test suite runs on) from deadsnakes runs the driver and the executors' Python
# workers (PYSPARK_PYTHON); pyspark itself comes from /opt/spark/python.
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
 && pip install . "pyarrow>=15" "pandas>=2.1,<3" \
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
