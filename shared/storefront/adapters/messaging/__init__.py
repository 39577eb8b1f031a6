"""Queues: the MessagePublisher port on Amazon SQS, and where consumers put what they refuse."""
