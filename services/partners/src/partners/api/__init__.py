"""Partners' HTTP API: routes and schemas; turns HTTP into commands, nothing more."""
