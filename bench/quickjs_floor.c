/* The floor under any Pivot server built on QuickJS with a fresh context per request: QuickJS's
 * own C API, no Python, no HTTP, no process boundary. bench/pivot.py compiles it against the
 * QuickJS sources the `quickjs` package ships and prints its figures beside Node's.
 *
 * usage: quickjs_floor PRELUDE.js BODY.js CALL.json SECONDS
 * prints one line per way, "name requests_per_second", each request being: a fresh context in
 * one shared runtime, kfn's prelude and the function loaded from bytecode compiled once (the
 * cheapest a server could do), the call parsed from JSON, the function run, the result turned
 * into JSON, the context freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "quickjs.h"

static char *slurp(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (!file) {
        perror(path);
        exit(2);
    }
    fseek(file, 0, SEEK_END);
    *size = (size_t)ftell(file);
    rewind(file);
    char *text = malloc(*size + 1);
    if (fread(text, 1, *size, file) != *size) {
        perror(path);
        exit(2);
    }
    text[*size] = 0;
    fclose(file);
    return text;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Everything JS_NewContext adds, the way kfn's workers get it. */
static JSContext *full_context(JSRuntime *rt) { return JS_NewContext(rt); }

/* Only what ES2020 functions commonly touch: no typed arrays, no BigInt (the costliest to add). */
static JSContext *lean_context(JSRuntime *rt) {
    JSContext *ctx = JS_NewContextRaw(rt);
    JS_AddIntrinsicBaseObjects(ctx);
    JS_AddIntrinsicDate(ctx);
    JS_AddIntrinsicEval(ctx);
    JS_AddIntrinsicRegExp(ctx);
    JS_AddIntrinsicJSON(ctx);
    JS_AddIntrinsicProxy(ctx);
    JS_AddIntrinsicMapSet(ctx);
    JS_AddIntrinsicPromise(ctx);
    return ctx;
}

static uint8_t *bytecode(JSContext *ctx, const char *source, size_t size, size_t *out) {
    JSValue compiled = JS_Eval(ctx, source, size, "<bench>", JS_EVAL_FLAG_COMPILE_ONLY);
    if (JS_IsException(compiled)) {
        fprintf(stderr, "does not compile\n");
        exit(2);
    }
    uint8_t *bytes = JS_WriteObject(ctx, out, compiled, JS_WRITE_OBJ_BYTECODE);
    JS_FreeValue(ctx, compiled);
    return bytes;
}

typedef struct {
    uint8_t *prelude, *function;
    size_t prelude_size, function_size;
    const char *call;
    size_t call_size;
} Work;

static int one_request(JSContext *ctx, const Work *work) {
    JSValue prelude = JS_ReadObject(ctx, work->prelude, work->prelude_size, JS_READ_OBJ_BYTECODE);
    JS_FreeValue(ctx, JS_EvalFunction(ctx, prelude));
    JSValue function = JS_EvalFunction(
        ctx, JS_ReadObject(ctx, work->function, work->function_size, JS_READ_OBJ_BYTECODE));
    JSValue call = JS_ParseJSON(ctx, work->call, work->call_size, "<call>");
    JSValue result = JS_Call(ctx, function, JS_UNDEFINED, 1, &call);
    int ok = !JS_IsException(result);
    JSValue json = JS_JSONStringify(ctx, result, JS_UNDEFINED, JS_UNDEFINED);
    size_t length = 0;
    const char *text = JS_ToCStringLen(ctx, &length, json);
    ok = ok && text != NULL && length > 0;
    JS_FreeCString(ctx, text);
    JS_FreeValue(ctx, json);
    JS_FreeValue(ctx, result);
    JS_FreeValue(ctx, call);
    JS_FreeValue(ctx, function);
    return ok;
}

static void measure(const char *name, JSRuntime *rt, JSContext *(*make)(JSRuntime *),
                    const Work *work, double seconds) {
    long done = 0;
    double started = now();
    while (now() - started < seconds) {
        for (int i = 0; i < 100; i++, done++) {
            JSContext *ctx = make(rt);
            if (!one_request(ctx, work)) {
                fprintf(stderr, "%s: the function failed\n", name);
                exit(1);
            }
            JS_FreeContext(ctx);
        }
    }
    printf("%s %.0f\n", name, (double)done / (now() - started));
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s PRELUDE.js BODY.js CALL.json SECONDS\n", argv[0]);
        return 2;
    }
    size_t prelude_size, body_size, call_size;
    char *prelude = slurp(argv[1], &prelude_size);
    char *body = slurp(argv[2], &body_size);
    char *call = slurp(argv[3], &call_size);
    double seconds = atof(argv[4]);
    JSRuntime *rt = JS_NewRuntime();
    JS_SetMemoryLimit(rt, 64 << 20);
    JSContext *compiler = JS_NewContext(rt);
    /* `new Function('call', body)` as a function expression, compiled once. */
    size_t wrapped_size = body_size + 32;
    char *wrapped = malloc(wrapped_size);
    wrapped_size = (size_t)snprintf(wrapped, wrapped_size, "(function (call) {\n%s\n})", body);
    Work work = {.call = call, .call_size = call_size};
    work.prelude = bytecode(compiler, prelude, prelude_size, &work.prelude_size);
    work.function = bytecode(compiler, wrapped, wrapped_size, &work.function_size);
    JS_FreeContext(compiler);
    measure("full", rt, full_context, &work, seconds);
    measure("lean", rt, lean_context, &work, seconds);
    return 0;
}
