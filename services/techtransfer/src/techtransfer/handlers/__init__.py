"""The techtransfer service's command handlers: the steps between an API call (or an event,
or the scheduler) and the domain."""
