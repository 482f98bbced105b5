FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

# CJK font for generated demo images.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# Collecting static files sends no mail: the build names a backend only to pass start-up.
RUN DJANGO_SECRET_KEY=build-only EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend \
    python manage.py collectstatic --noinput

RUN useradd --create-home tianjian && mkdir -p /app/media && chown tianjian /app/media
USER tianjian
EXPOSE 8000
# --timeout stays above DB_STATEMENT_TIMEOUT_MS (20 s): the database gives up first (a clean 503).
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--timeout", "30", "--access-logfile", "-"]
