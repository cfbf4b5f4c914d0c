# syntax=docker/dockerfile:1.7
# Image of the API and the trainer (`movierecs serve`, `movierecs train`, `movierecs load-movielens`).
# Build from the repository root:  docker build -f docker/api.Dockerfile -t movierecs-api .
ARG PYTHON_VERSION=3.11
ARG TORCH_VERSION=2.13.0

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ARG TORCH_VERSION
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# 1. Dependencies, in their own layer: only pyproject.toml is copied, with empty packages standing in for the
#    code, so editing code does not reinstall torch. torch comes from the CPU index (PyPI's Linux wheel pulls CUDA).
#    recbole is installed without dependencies: only the MovieLens-100K files it ships are used.
COPY pyproject.toml README.md ./
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --index-url https://download.pytorch.org/whl/cpu "torch==${TORCH_VERSION}" \
 && mkdir -p apps/movierecs spark-jobs/movierecs_streaming \
 && touch apps/movierecs/__init__.py spark-jobs/movierecs_streaming/__init__.py \
 && pip install ".[train]" "pandas>=2.1" \
 && pip install --no-deps recbole==1.2.1 \
 && pip uninstall -y movierecs \
 && rm -rf apps spark-jobs

# 2. The code.
COPY apps ./apps
COPY spark-jobs ./spark-jobs
RUN pip install --no-deps --no-compile . && rm -rf /src/build

FROM python:${PYTHON_VERSION}-slim-bookworm
LABEL org.opencontainers.image.title="movierecs-api" \
      org.opencontainers.image.description="movie-recs API and trainer" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 movierecs \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin movierecs
COPY --from=build /opt/venv /opt/venv
# HOME and caches point at /tmp: the charts run this image with a read-only root filesystem and /tmp as emptyDir.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    MPLCONFIGDIR=/tmp/matplotlib \
    MOVIERECS_MODEL_DIR=/models
USER 10001:10001
WORKDIR /tmp
EXPOSE 8000
ENTRYPOINT ["movierecs"]
CMD ["serve", "--host=0.0.0.0", "--port=8000"]
