"""Mail to people: templates, the mails queued through the outbox, and their SMTP dispatcher."""
