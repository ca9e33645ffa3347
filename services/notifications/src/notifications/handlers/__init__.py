"""Notifications' handlers: commands on people, rules, subscriptions and webhook endpoints; the consumers'
recording of notices and deliveries; the senders' attempts."""
