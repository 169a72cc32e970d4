"""The Slack face of kpibot: the bolt app, its handlers, Block Kit, delivery and the HTTP server."""
