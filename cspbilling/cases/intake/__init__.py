"""Email intake channels (Maildir, SMTP listener, IMAP poll); each hands raw bytes to
`cases.services.intake.do_ingest_email`, which decides and writes."""
