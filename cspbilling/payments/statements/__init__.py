"""Bank statements: read (CSV exports, ISO 20022 camt.053), then matched to customers."""
