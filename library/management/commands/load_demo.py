from django.core.management.base import BaseCommand, CommandError

from library.devdata.demo import DEMO_ACCOUNTS, DemoRefused, demo_load


class Command(BaseCommand):
    help = (
        "Load the demo catalogue, borrow history and accounts (once), and print the logins. "
        "Development only: refused when DJANGO_ENV=production."
    )

    def handle(self, *args, **options):
        try:
            outcome = demo_load()
        except DemoRefused as refused:
            raise CommandError(str(refused)) from None
        if outcome["loaded"]:
            self.stdout.write(
                f"Loaded {outcome['authors']} authors, {outcome['books']} books "
                f"and {outcome['borrows']} borrows; {outcome['renewed']} loans renewed, "
                f"{outcome['holds']} holds placed, {outcome['holds_ready']} ready for pickup."
            )
        else:
            self.stdout.write(
                f"Demo data already present: {outcome['books']} books, "
                f"{outcome['borrows']} borrows."
            )
        self.stdout.write("Demo accounts (username / password / role):")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.username:<10} {account.password:<22} {account.role}")
