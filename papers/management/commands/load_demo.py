import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from papers.ingest.importer import CREATED, import_digest

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"


class Command(BaseCommand):
    help = "Import the demo digests in papers/demo/ and make sure the demo admin account exists."

    def handle(self, *args, **options) -> None:
        files = sorted(p for p in DEMO_DIR.iterdir() if p.suffix in {".txt", ".html"})
        for path in files:
            result = import_digest(path.read_bytes(), path.name)
            if not result.ok:
                raise CommandError(f"demo digest {path.name} failed: {'; '.join(result.errors)}")
            self.stdout.write(
                f"{path.name}: {result.family}, {len(result.papers)} papers ({result.count(CREATED)} new)"
            )
        username, password = self._ensure_admin()
        self.stdout.write(
            self.style.SUCCESS(f"Admin: log in at /admin/ as {username!r} with password {password!r}")
        )

    def _ensure_admin(self) -> tuple[str, str]:
        username = os.environ.get("DEMO_ADMIN_USERNAME", "admin")
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or self._stored_password()
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        return username, password

    @staticmethod
    def _stored_password() -> str:
        """A generated password, kept under var/ so that it stays the same from one `make run` to the next."""
        path = Path(settings.VAR_DIR) / "demo-admin-password"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(12))
            path.chmod(0o600)
        return path.read_text().strip()
