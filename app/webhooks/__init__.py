"""Customer webhooks: endpoints, deliveries signed per Standard Webhooks, and their dispatcher."""
