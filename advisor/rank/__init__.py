"""Stage 4, ranked advice: fired rules scored, merged by strategy, conflicts dropped, missing facts named."""
