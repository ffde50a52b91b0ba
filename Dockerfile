# Shelfwise: one image for the web (gunicorn), the Celery workers and Celery beat.
# docker-compose.yml shows the production topology; the image refuses to start without
# DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS (DJANGO_ENV=production).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_ENV=production \
    SHELFWISE_VAR_DIR=/var/lib/shelfwise \
    REPORTS_DIR=/var/lib/shelfwise/reports \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app

RUN groupadd --system --gid 10001 shelfwise \
    && useradd --system --uid 10001 --gid shelfwise --no-create-home \
        --home-dir /app --shell /usr/sbin/nologin shelfwise

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
# (psycopg-binary and the other wheels need no compiler on this image.)
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The code belongs to root and is read-only for the app user; only /var/lib/shelfwise
# (reports, beat's schedule) is writable.
# check_imports: an import that requirements.txt does not pin fails the build, not the worker.
COPY . .
RUN DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost \
        python bin/check_imports.py \
    && DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost \
        python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /var/lib/shelfwise/reports \
    && chown -R shelfwise:shelfwise /var/lib/shelfwise

USER shelfwise
EXPOSE 8000
VOLUME ["/var/lib/shelfwise/reports"]

CMD ["gunicorn", "--config", "bin/gunicorn.conf.py", "backoffice.wsgi"]
