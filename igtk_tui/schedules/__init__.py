"""Schedules: playbooks that run on their own (docs/schedules.md).

`model` holds a schedule's definition and a fire's record (plain data, the
store's rows); `timing` turns a cron expression and a zone into fire instants;
`clock` is the scheduler's notion of now. The loop that fires them lives in
the agent (igtk_tui/agent/scheduler.py); notifications in igtk_tui/notify/.
"""
