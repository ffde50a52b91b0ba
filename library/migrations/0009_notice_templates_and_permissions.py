"""The notice e-mails' default templates (librarians edit them in the admin), and who may
do what with notices, templates and blocks."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LIBRARIAN_CODENAMES = {
    "library": [
        "view_notice",
        "change_notice",
        "view_patronpreferences",
        "change_patronpreferences",
        "view_patronblock",
        "add_patronblock",
        "change_patronblock",
        "view_historicalpatronblock",
    ],
    "post_office": ["view_emailtemplate", "change_emailtemplate", "view_email", "view_log"],
}
AUDITOR_CODENAMES = {
    "library": [
        "view_notice",
        "view_patronpreferences",
        "view_patronblock",
        "view_historicalpatronblock",
    ],
    "post_office": ["view_emailtemplate", "view_email", "view_log"],
}

SIGNATURE = "Shelfwise library"

# Subjects and plain text bodies are rendered without HTML escaping ("Pride & Prejudice",
# not "Pride &amp; Prejudice"); HTML bodies keep Django's escaping
# (backoffice.core.mail.mail_render).
TEMPLATES = {
    "notice_due_soon": (
        "Courtesy reminder: loans due back within a few days.",
        "{% if items|length == 1 %}“{{ items.0.title }}” is due back "
        '{{ items.0.due_date|date:"l j F" }}{% else %}{{ items|length }} books are due back '
        "soon{% endif %}",
        """Dear {{ name }},

{% if items|length == 1 %}This book is{% else %}These books are{% endif %} due back soon:

{% for item in items %}- “{{ item.title }}” by {{ item.author }}, due {{ item.due_date|date:"l j F Y" }}
{% endfor %}
You can renew a loan in the app (unless someone is waiting for the book) or bring it back to the library.
You can turn these reminders off in the app; overdue notices are always sent.

"""
        + SIGNATURE
        + "\n",
        """<p>Dear {{ name }},</p>
<p>{% if items|length == 1 %}This book is{% else %}These books are{% endif %} due back soon:</p>
<ul>{% for item in items %}
<li>“{{ item.title }}” by {{ item.author }}, due <strong>{{ item.due_date|date:"l j F Y" }}</strong></li>{% endfor %}
</ul>
<p>You can renew a loan in the app (unless someone is waiting for the book) or bring it back to the library.
You can turn these reminders off in the app; overdue notices are always sent.</p>
<p>"""
        + SIGNATURE
        + "</p>",
    ),
    "notice_overdue": (
        "Loans past their due date (sent at each overdue stage).",
        "{% if items|length == 1 %}Overdue: “{{ items.0.title }}”"
        "{% else %}{{ items|length }} books are overdue{% endif %}",
        """Dear {{ name }},

{% if items|length == 1 %}This book is{% else %}These books are{% endif %} overdue:

{% for item in items %}- “{{ item.title }}” by {{ item.author }}, due {{ item.due_date|date:"l j F Y" }} ({{ item.days_overdue }} day{{ item.days_overdue|pluralize }} overdue)
{% endfor %}
Please bring {% if items|length == 1 %}it{% else %}them{% endif %} back to the library as soon as you can.
With a loan more than {{ block_after_days }} days overdue you cannot borrow, renew or place holds until it is returned.

"""
        + SIGNATURE
        + "\n",
        """<p>Dear {{ name }},</p>
<p>{% if items|length == 1 %}This book is{% else %}These books are{% endif %} overdue:</p>
<ul>{% for item in items %}
<li>“{{ item.title }}” by {{ item.author }}, due <strong>{{ item.due_date|date:"l j F Y" }}</strong> ({{ item.days_overdue }} day{{ item.days_overdue|pluralize }} overdue)</li>{% endfor %}
</ul>
<p>Please bring {% if items|length == 1 %}it{% else %}them{% endif %} back to the library as soon as you can.
With a loan more than {{ block_after_days }} days overdue you cannot borrow, renew or place holds until it is returned.</p>
<p>"""
        + SIGNATURE
        + "</p>",
    ),
    "notice_hold_ready": (
        "A hold's copy is on the hold shelf (sent when the return that trapped it is saved).",
        "{% if items|length == 1 %}“{{ items.0.title }}” is waiting for you"
        "{% else %}{{ items|length }} books are waiting for you{% endif %}",
        """Dear {{ name }},

{% if items|length == 1 %}A book you asked for is{% else %}Books you asked for are{% endif %} ready for you on the hold shelf:

{% for item in items %}- “{{ item.title }}” by {{ item.author }}, kept for you until {{ item.expires_at|date:"l j F Y, H:i" }}
{% endfor %}
Collect {% if items|length == 1 %}it{% else %}them{% endif %} at the desk; after that date the copy goes to the next reader.

"""
        + SIGNATURE
        + "\n",
        """<p>Dear {{ name }},</p>
<p>{% if items|length == 1 %}A book you asked for is{% else %}Books you asked for are{% endif %} ready for you on the hold shelf:</p>
<ul>{% for item in items %}
<li>“{{ item.title }}” by {{ item.author }}, kept for you until <strong>{{ item.expires_at|date:"l j F Y, H:i" }}</strong></li>{% endfor %}
</ul>
<p>Collect {% if items|length == 1 %}it{% else %}them{% endif %} at the desk; after that date the copy goes to the next reader.</p>
<p>"""
        + SIGNATURE
        + "</p>",
    ),
    "notice_pickup_reminder": (
        "A ready hold's pickup deadline is tomorrow.",
        "Last chance: collect {% if items|length == 1 %}“{{ items.0.title }}”"
        "{% else %}{{ items|length }} books{% endif %} by tomorrow",
        """Dear {{ name }},

{% if items|length == 1 %}A book is{% else %}Books are{% endif %} still waiting for you on the hold shelf, but not for long:

{% for item in items %}- “{{ item.title }}” by {{ item.author }}, kept for you until {{ item.expires_at|date:"l j F Y, H:i" }}
{% endfor %}
After that the copy goes to the next reader.

"""
        + SIGNATURE
        + "\n",
        """<p>Dear {{ name }},</p>
<p>{% if items|length == 1 %}A book is{% else %}Books are{% endif %} still waiting for you on the hold shelf, but not for long:</p>
<ul>{% for item in items %}
<li>“{{ item.title }}” by {{ item.author }}, kept for you until <strong>{{ item.expires_at|date:"l j F Y, H:i" }}</strong></li>{% endfor %}
</ul>
<p>After that the copy goes to the next reader.</p>
<p>"""
        + SIGNATURE
        + "</p>",
    ),
    "notice_hold_expired": (
        "A ready hold was not collected in time.",
        "{% if items|length == 1 %}Your hold on “{{ items.0.title }}” has "
        "expired{% else %}{{ items|length }} of your holds have expired{% endif %}"
        "",
        """Dear {{ name }},

{% if items|length == 1 %}This hold was{% else %}These holds were{% endif %} not collected in time and {% if items|length == 1 %}has{% else %}have{% endif %} expired:

{% for item in items %}- “{{ item.title }}” by {{ item.author }}, to be collected by {{ item.expires_at|date:"l j F Y" }}
{% endfor %}
The copy has gone to the next reader. You can place a new hold in the app.

"""
        + SIGNATURE
        + "\n",
        """<p>Dear {{ name }},</p>
<p>{% if items|length == 1 %}This hold was{% else %}These holds were{% endif %} not collected in time and {% if items|length == 1 %}has{% else %}have{% endif %} expired:</p>
<ul>{% for item in items %}
<li>“{{ item.title }}” by {{ item.author }}, to be collected by {{ item.expires_at|date:"l j F Y" }}</li>{% endfor %}
</ul>
<p>The copy has gone to the next reader. You can place a new hold in the app.</p>
<p>"""
        + SIGNATURE
        + "</p>",
    ),
    "password_reset": (
        "Password reset: asked for in the app, or sent by a librarian.",
        "Set your Shelfwise password",
        """Dear {{ name }},

Someone (we hope you) asked to set a new password for the library account "{{ username }}".
{% if link %}
Choose your new password here: {{ link }}
{% else %}
In the app, choose "Set a new password" and enter these two codes:

  uid:   {{ uid }}
  token: {{ token }}
{% endif %}
They work once, for {{ valid_days }} day{{ valid_days|pluralize }}. If you did not ask, ignore this mail: your password stays as it is.

"""
        + SIGNATURE
        + "\n",
        """<p>Dear {{ name }},</p>
<p>Someone (we hope you) asked to set a new password for the library account “{{ username }}”.</p>
{% if link %}<p><a href="{{ link }}">Choose your new password</a></p>
{% else %}<p>In the app, choose “Set a new password” and enter these two codes:</p>
<p>uid: <code>{{ uid }}</code><br>token: <code>{{ token }}</code></p>
{% endif %}<p>They work once, for {{ valid_days }} day{{ valid_days|pluralize }}. If you did not ask, ignore this mail: your password stays as it is.</p>
<p>"""
        + SIGNATURE
        + "</p>",
    ),
}


def install(apps, schema_editor):
    EmailTemplate = apps.get_model("post_office", "EmailTemplate")
    for name, (description, subject, content, html) in TEMPLATES.items():
        # A template a librarian already edited is theirs: only missing ones are added.
        EmailTemplate.objects.get_or_create(
            name=name,
            language="",
            defaults={
                "description": description,
                "subject": subject,
                "content": content,
                "html_content": html,
            },
        )

    for label in ("library", "post_office"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in (
        ("Librarians", LIBRARIAN_CODENAMES),
        ("Auditors", AUDITOR_CODENAMES),
    ):
        group = Group.objects.filter(name=group_name).first()
        if group is None:
            continue
        for app_label, names in codenames.items():
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label=app_label, codename__in=names)
            )


def uninstall(apps, schema_editor):
    EmailTemplate = apps.get_model("post_office", "EmailTemplate")
    EmailTemplate.objects.filter(name__in=list(TEMPLATES), language="").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0008_notices_and_blocks"),
        ("accounts", "0002_staff_groups"),
        ("post_office", "0014_alter_email_recipient_delivery_status_and_more"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
