"""Mail intake: raw messages in, classified registration data with evidence out."""
