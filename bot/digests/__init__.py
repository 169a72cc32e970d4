"""Scheduled sends: digests, alerts and Slack-made subscriptions, their schedules and state."""
