"""Every sentence the Slack bot says, in one place, so they can be read and reviewed together."""

from __future__ import annotations

EXAMPLES = (
    "connect rate by weekday last 31 days",
    "top 5 reps by revenue won this quarter",
    "win rate by rep this quarter vs previous period",
    "leads by lead source monthly this year",
    "kpi dashboard",
    "本季度 按销售代表 赢单率",
)

WORKING = "Looking that up: _{question}_"
EMPTY_QUESTION = "Ask me a sales KPI question, for example `{example}`. Type `/kpi help` for more."

REFUSED_USER = (
    "Sorry, I can only answer KPI questions for the people my admin has listed. "
    "If you need access, ask whoever runs kpibot to add you to `access.users` in app.yaml."
)
REFUSED_CHANNEL = (
    "Sorry, I don't answer questions in this channel. Ask me in a direct message, "
    "or in a channel my admin has listed in `access.channels`."
)

USER_ERROR_HEAD = "I couldn't answer _{question}_"
NO_DATA_HEAD = "Nothing recorded for _{question}_"
DID_YOU_MEAN = "Did you mean:"
TRY_INSTEAD = "You could ask:"
INTERNAL_ERROR = (
    "Sorry, something went wrong on my side while answering _{question}_. "
    "It has been logged (reference #{ref}); please try again in a minute."
)
SLACK_ERROR = (
    "Sorry, I worked out the answer to _{question}_ but Slack would not let me post it "
    "({error}). Please try again in a minute."
)
UPLOAD_FAILED = "I couldn't attach the {what} ({error}); the numbers above are complete."
NOT_IN_CHANNEL = (
    "I'm not a member of <#{channel}>, so I can't post the answer there. "
    "Invite me with `/invite @kpibot` and ask again, or ask me in a direct message."
)

NO_PREVIOUS_PERIOD = "That answer covers all time, so there is no previous period to show."
SQL_INTRO = "SQL for {restated} (run on the DuckDB cache):"
SQL_CONTINUED = "(continued)"
CSV_COMMENT = "All {rows} rows of _{restated}_ as CSV."
CHART_TITLE = "{restated}"
DASHBOARD_TITLE = "{name} dashboard"
SUBSCRIBED_UNAVAILABLE = "Subscriptions are not set up on this bot."
STALE_BUTTON = "That button is from an answer I no longer have; please ask the question again."

TRUNCATED_ROWS = "… {more} more rows, see CSV"
DATA_AS_OF = "Data as of {when}"
ASKED_BY = "Asked by <@{user}>"
TOOK = "{seconds:.1f} s"

BUTTON_SQL = "Show SQL"
BUTTON_PREVIOUS = "Previous period"
BUTTON_CSV = "Download CSV"
BUTTON_SUBSCRIBE = "Subscribe"

HELP_INTRO = (
    "*Ask me about sales KPIs* in a DM, by mentioning me in a channel, or with `/kpi QUESTION`. "
    "Short keyword questions work best, in English or Chinese. Every answer says which dates "
    "it covers."
)
HELP_EXAMPLES_HEAD = "*Try:*"
HELP_KPIS_HEAD = "*KPIs I know* ({count}):"
HELP_PARTS = (
    "*Add:* a grouping (`by rep`, `by weekday`, `monthly`), a window (`last 31 days`, "
    "`this quarter`, `Q2 2024`), a filter (`for Alice`, `lead source is web`), a ranking "
    "(`top 5`), a comparison (`vs previous period`, `yoy`), or a chart (`as line`)."
)
HOME_TITLE = "kpibot: sales KPIs from Salesforce"
