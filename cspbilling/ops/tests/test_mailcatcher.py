import socket
from email import message_from_bytes, policy

from django.core.mail import EmailMessage

from cspbilling.notifications.transports import message_id_for
from cspbilling.ops.mailcatcher import start_mailcatcher


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_demo_mail_catcher_keeps_each_email_as_a_file(tmp_path, settings):
    port = free_port()
    catcher = start_mailcatcher(folder=tmp_path / "mail", port=port)
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    try:
        EmailMessage(
            subject="您的订阅已暂停",
            body="数据将在 60 天后删除。",
            to=["finance@contoso.cn"],
            headers={"Message-ID": message_id_for("suspension:1:suspend-notice")},
        ).send()
    finally:
        catcher.stop()

    [kept] = list((tmp_path / "mail").glob("*.eml"))
    assert kept.name == "suspension_3A1_3Asuspend-notice@cspbilling.eml"
    message = message_from_bytes(kept.read_bytes(), policy=policy.default)
    assert message["Subject"] == "您的订阅已暂停"
    assert "数据将在 60 天后删除" in message.get_content()
