#ifndef MEMEGEN_RENDER_ENTRY_H
#define MEMEGEN_RENDER_ENTRY_H
/* \file render_entry.h
 * A C entry point to MemeRenderer that takes and returns JSON, so the renderer can be
 * loaded on demand with dlopen("libmemegen.so.0") — a program that only sometimes renders
 * (the bot) then does not map FFmpeg's libraries until it does — or called from other
 * languages.
 *
 * Request: {"media": PATH, "output": PATH, "music": PATH, "seed": N, "variant_group": G,
 *           "captions": {"top","bottom","badge"}, "width", "height", "fps", "crf", "preset",
 *           "background": "black"|"blur", "font", "min_seconds", "max_seconds",
 *           "max_video_seconds", "max_output_bytes", "effects": ["mirror", ...]}
 *           (every key but media and output optional; defaults as RenderOptions).
 * Answer:  {"ok": true, "result": <RenderResult as JSON>} or
 *          {"ok": false, "error": TEXT, "cancelled": BOOL}.
 */

#ifdef __cplusplus
extern "C" {
#endif

/* Called after each encoded frame with the progress (0..1); return non-zero to cancel. */
typedef int (*memegen_render_poll)(void* user, double fraction);

/* Renders as `request_json` says. Never throws or aborts on bad input: errors are in the
 * answer. The answer is malloc()ed: release it with memegen_free_string(). */
char* memegen_render_json(const char* request_json, memegen_render_poll poll, void* user);

/* Frees an answer of memegen_render_json(). */
void memegen_free_string(char* text);

/* Names of the two symbols, for dlsym(). */
#define MEMEGEN_RENDER_JSON_SYMBOL "memegen_render_json"
#define MEMEGEN_FREE_STRING_SYMBOL "memegen_free_string"

#ifdef __cplusplus
}
#endif

#endif /* MEMEGEN_RENDER_ENTRY_H */
