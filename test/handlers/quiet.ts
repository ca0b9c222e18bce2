/**
 * Imported first by the handler tests: the handler modules build their default Powertools logger at import
 * time, and their environment checks log to it; keep that quiet. Tests that read logs pass their own logger.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
