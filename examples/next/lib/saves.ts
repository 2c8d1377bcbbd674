// When each user last pressed Save, kept in memory: this is an example.
export const lastSaved = new Map<string, string>();
