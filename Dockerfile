# kaido's container image: `docker build -t kaido:0.1.0 .`
# The builder installs kaido and its dependencies into a virtualenv; the final image copies only
# that virtualenv onto a clean Python, runs as an unprivileged numeric user and needs no writable
# root filesystem (the chart mounts emptyDirs at /var/lib/kaido and /tmp).

FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/kaido
WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/kaido/bin/pip install .

FROM python:3.11-slim
# Same base image as the builder, so the virtualenv's interpreter path (/usr/local/bin/python3.11) holds.
ENV PATH=/opt/kaido/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN groupadd --gid 10001 kaido \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kaido \
    && install -d -o 10001 -g 10001 /var/lib/kaido /etc/kaido
COPY --from=builder /opt/kaido /opt/kaido
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["kaido"]
CMD ["run", "--config", "/etc/kaido/policy.yaml"]
