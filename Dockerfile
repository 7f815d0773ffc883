# Production image: gunicorn web, Celery worker and beat all run from this one image.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Chinese fonts and WeasyPrint's native libraries for the PDF letters; poppler for PDF text;
# gettext to compile translations if the project ships any.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so code edits don't redo this layer.
# (The project declares no installable packages; `pip install .` installs just its dependencies.)
COPY pyproject.toml ./
RUN pip install . && rm -rf build *.egg-info

COPY . .

# Static files are collected at build time with the production storage (hashed names plus the
# manifest WhiteNoise needs). config.settings.prod insists on a real-looking secret key and a
# PostgreSQL name, so this one command gets throw-away values; collectstatic touches no database.
RUN if [ -d locale ]; then python manage.py compilemessages; fi \
    && DJANGO_SETTINGS_MODULE=config.settings.prod \
       DJANGO_SECRET_KEY=build-only-not-a-secret-0123456789abcdefghijklmnop \
       POSTGRES_DB=build-only \
       DJANGO_STATIC_ROOT=/app/var/static \
       python manage.py collectstatic --noinput -v0

# The letter fonts reduced to GB 2312 + ASCII + punctuation (replies/fonts.py), built once here
# (about 30 s) into var/cache/letter-fonts: every worker reads them, none has to build them.
# Same throw-away settings as above; it touches no database.
RUN DJANGO_SETTINGS_MODULE=config.settings.prod \
       DJANGO_SECRET_KEY=build-only-not-a-secret-0123456789abcdefghijklmnop \
       POSTGRES_DB=build-only \
       python manage.py prepare_letter_fonts

# Run as an unprivileged user. It owns only its home (gunicorn keeps its control socket there)
# and the media dir, which a named volume mounts over: Docker seeds a new volume with this
# directory's ownership. The code itself stays root-owned, i.e. read-only to the app.
RUN useradd --system --uid 10001 --create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /app/var/media \
    && chown app:app /app/var/media
USER app

ENV DJANGO_SETTINGS_MODULE=config.settings.prod \
    DJANGO_STATIC_ROOT=/app/var/static \
    DJANGO_MEDIA_ROOT=/app/var/media

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
