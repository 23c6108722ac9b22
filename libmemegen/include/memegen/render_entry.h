#ifndef MEMEGEN_RENDER_ENTRY_H
#define MEMEGEN_RENDER_ENTRY_H
/* \file render_entry.h
 * C entry points to MemeRenderer and the media probe that take and return JSON, so the
 * renderer can be loaded on demand with dlopen("libmemegen.so.0") — a program that only sometimes
 * renders (the bot) then does not map FFmpeg's libraries until it does — or called from other
 * languages.
 *
 * Request: {"media": PATH, "output": PATH} plus RenderOptions as JSON (render_options.hpp:
 *           "music", "seed", "variant_group", "captions": {"top","bottom","badge"}, "width",
 *           "height", "fps", "crf", "preset", "background", "effects": ["mirror", ...], ...;
 *           every key but media and output optional, an absent one keeps the default).
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

/* Probes media files before they enter a library (memegen/media_probe.hpp).
 * Request: {"files": [PATH | {"path": PATH, "role": "meme"|"music"|"any"}, ...],
 *           "role": DEFAULT_ROLE, "max_bytes": N, "max_pixels": N}  (all but files optional).
 * Answer:  {"ok": true, "results": [{"path": PATH, "ok": true, "info": <MediaInfo>,
 *           "text_layout": <TextLayout>, "perceptual_hash": <PerceptualHash>} (the last two
 *           for files with pictures) or {"path": PATH, "ok": false, "error": TEXT}, ...]} in
 *           request order, or
 *          {"ok": false, "error": TEXT} for a malformed request.
 * When `on_result` is not NULL it is called with each result's JSON (one object, as in
 * "results") as soon as that file is done, so a caller can keep the verdicts of a batch that
 * a crash interrupts. Never throws; release the answer with memegen_free_string(). */
typedef void (*memegen_probe_result)(void* user, const char* result_json);
char* memegen_probe_json(const char* request_json, memegen_probe_result on_result, void* user);

/* Frees an answer of memegen_render_json() or memegen_probe_json(). */
void memegen_free_string(char* text);

/* Names of the symbols, for dlsym(). */
#define MEMEGEN_RENDER_JSON_SYMBOL "memegen_render_json"
#define MEMEGEN_PROBE_JSON_SYMBOL "memegen_probe_json"
#define MEMEGEN_FREE_STRING_SYMBOL "memegen_free_string"

#ifdef __cplusplus
}
#endif

#endif /* MEMEGEN_RENDER_ENTRY_H */
