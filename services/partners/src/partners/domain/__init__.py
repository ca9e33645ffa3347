"""Partners' domain: entities, rules and life cycles. Pure: no FastAPI, PyMongo or aiokafka."""
