"""Feed ingestion: fetching (``fetch``), parsing (``parse``), article text (``article``), and
``HttpFeedSource``, which implements ``ports.FeedSource`` on top of them."""
