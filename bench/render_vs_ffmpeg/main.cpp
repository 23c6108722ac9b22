// render_vs_ffmpeg: the seed's job — a meme fitted into 1080x1920 on black, 24 fps, 10 s,
// mirrored, 0.5 s fade in and out, music trimmed and faded under it, x264 + AAC, fast start —
// done by libmemegen and by the ffmpeg CLI (one filter graph, its default threads), side by
// side and alternating, for a still, a GIF and a video at two x264 presets. Each run is a fresh
// process (the library's in a re-executed copy of this program) so wall time and peak RSS
// (ru_maxrss from wait4) compare like with like. Not part of `meson test`: it takes minutes.
//
// usage: render_vs_ffmpeg [--rounds N] [--presets medium,veryfast] [--repeat-renders N]

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "memegen/memegen.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;

struct Run {
    double wall = 0;
    double rss_mb = 0;
    double cpu = 0;  // user + system seconds of the child and its threads
};

// Spawns argv, waits, and returns wall time and the child's peak RSS.
Run spawn_and_measure(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    std::vector<std::string> copy = args;
    for (auto& a : copy)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    const auto start = std::chrono::steady_clock::now();
    pid_t pid = 0;
    if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
        std::fprintf(stderr, "cannot start %s\n", argv[0]);
        std::exit(1);
    }
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    const auto end = std::chrono::steady_clock::now();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string line;
        for (const auto& a : args)
            line += a + " ";
        std::fprintf(stderr, "failed: %s\n", line.c_str());
        std::exit(1);
    }
    const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
    return {std::chrono::duration<double>(end - start).count(), usage.ru_maxrss / 1024.0,
            seconds(usage.ru_utime) + seconds(usage.ru_stime)};
}

void sh(const std::string& command) {
    if (std::system(("ffmpeg -nostdin -hide_banner -loglevel error -y " + command).c_str()) != 0) {
        std::fprintf(stderr, "fixture failed: %s\n", command.c_str());
        std::exit(1);
    }
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const auto n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

memegen::RenderOptions seed_job(const std::string& preset, const fs::path& music) {
    memegen::RenderOptions o;
    o.size = {1080, 1920};
    o.fps = 24;
    o.duration_seconds = 10.0;
    o.effects = std::vector<memegen::Effect>{memegen::Effect::mirror, memegen::Effect::fade};
    o.music = music;
    o.music_start_seconds = 5.0;
    o.audio = memegen::AudioMode::music;
    o.crf = 23;
    o.preset = preset;
    return o;
}

std::vector<std::string> ffmpeg_job(const fs::path& media, bool still, const fs::path& music,
                                    const std::string& preset, const fs::path& out) {
    std::vector<std::string> a = {"ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"};
    if (still) {
        a.insert(a.end(), {"-loop", "1", "-framerate", "24"});
    } else {
        a.insert(a.end(), {"-stream_loop", "-1"});
    }
    a.insert(a.end(), {"-i",
                       media.string(),
                       "-ss",
                       "5",
                       "-i",
                       music.string(),
                       "-filter_complex",
                       "[0:v]scale=1080:1920:force_original_aspect_ratio=decrease,"
                       "pad=1080:1920:(ow-iw)/2:(oh-ih)/2:black,hflip,fps=24,"
                       "fade=t=in:st=0:d=0.5,fade=t=out:st=9.5:d=0.5,format=yuv420p[v];"
                       "[1:a]afade=t=out:st=9:d=1[a]",
                       "-map",
                       "[v]",
                       "-map",
                       "[a]",
                       "-t",
                       "10",
                       "-c:v",
                       "libx264",
                       "-preset",
                       preset,
                       "-crf",
                       "23",
                       "-c:a",
                       "aac",
                       "-b:a",
                       "128k",
                       "-movflags",
                       "+faststart",
                       out.string()});
    return a;
}

struct Memory {
    std::uint64_t rss = 0;   // VmRSS
    std::uint64_t anon = 0;  // RssAnon: heap, stacks, FFmpeg's tables
    std::uint64_t file = 0;  // RssFile: pages of mapped files (the libraries' code and data)
};

// This process's resident memory now, from /proc/self/status (bytes).
Memory memory_now() {
    Memory m;
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (f == nullptr)
        return m;
    char line[256];
    while (std::fgets(line, sizeof line, f) != nullptr) {
        unsigned long long kb = 0;
        if (std::sscanf(line, "VmRSS: %llu kB", &kb) == 1)
            m.rss = kb * 1024;
        else if (std::sscanf(line, "RssAnon: %llu kB", &kb) == 1)
            m.anon = kb * 1024;
        else if (std::sscanf(line, "RssFile: %llu kB", &kb) == 1)
            m.file = kb * 1024;
    }
    std::fclose(f);
    return m;
}

double mib(std::uint64_t bytes) {
    return static_cast<double>(bytes) / 1048576.0;
}

// Whether the CPU has the AVX-512 subsets FFmpeg requires for AV_CPU_FLAG_AVX512 (the
// library then keeps x264 on AVX2; the encoder-alone runs do the same).
bool cpu_has_avx512() {
    std::FILE* f = std::fopen("/proc/cpuinfo", "r");
    if (f == nullptr)
        return false;
    std::string flags;
    char line[8192];
    while (std::fgets(line, sizeof line, f) != nullptr) {
        if (std::strncmp(line, "flags", 5) == 0) {
            flags = line;
            break;
        }
    }
    std::fclose(f);
    for (const char* need : {" avx512f", " avx512cd", " avx512bw", " avx512dq", " avx512vl"}) {
        const std::string word = std::string(need) + ' ';
        if (flags.find(word) == std::string::npos &&
            flags.find(std::string(need) + '\n') == std::string::npos)
            return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    // Child role: one library render, nothing else, in a fresh process.
    if (argc == 6 && std::string(argv[1]) == "--child-render") {
        memegen::set_log_level(memegen::LogLevel::warning);
        memegen::MemeRenderer renderer;
        renderer.render(argv[2], argv[5], seed_job(argv[3], argv[4]));
        return 0;
    }
    int rounds = 3;
    int repeat = 100;
    std::vector<std::string> presets = {"medium", "veryfast"};
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--rounds" && i + 1 < argc) {
            rounds = std::atoi(argv[++i]);
        } else if (a == "--repeat-renders" && i + 1 < argc) {
            repeat = std::atoi(argv[++i]);
        } else if (a == "--presets" && i + 1 < argc) {
            presets.clear();
            std::string list = argv[++i];
            for (std::size_t at = 0; at <= list.size();) {
                const auto comma = std::min(list.find(',', at), list.size());
                presets.push_back(list.substr(at, comma - at));
                at = comma + 1;
            }
        } else {
            std::fprintf(stderr, "usage: %s [--rounds N] [--presets a,b] [--repeat-renders N]\n",
                         argv[0]);
            return 2;
        }
    }
    memegen::set_log_level(memegen::LogLevel::warning);
    const fs::path dir =
        fs::temp_directory_path() / ("render_vs_ffmpeg-" + std::to_string(getpid()));
    fs::create_directories(dir);
    const fs::path self = fs::read_symlink("/proc/self/exe");

    std::fprintf(stderr, "making fixtures in %s ...\n", dir.c_str());
    const auto still = dir / "still.jpg";
    sh("-f lavfi -i testsrc2=s=800x800 -frames:v 1 -q:v 3 " + still.string());
    const auto gif = dir / "anim.gif";
    sh("-f lavfi -i testsrc2=s=480x360:r=15:d=4 " + gif.string());
    const auto video = dir / "video.mp4";
    sh("-f lavfi -i testsrc2=s=1280x720:r=30:d=12 -f lavfi -i sine=f=220:d=12 -c:v libx264 "
       "-preset veryfast -c:a aac " +
       video.string());
    const auto music = dir / "music.mp3";
    sh("-f lavfi -i sine=f=440:d=60 -c:a libmp3lame -b:a 192k " + music.string());

    struct Input {
        const char* name;
        fs::path file;
        bool still;
    };
    const Input inputs[] = {{"still", still, true}, {"gif", gif, false}, {"video", video, false}};

    std::printf(
        "libmemegen vs ffmpeg CLI: 1080x1920, 24 fps, 10 s, mirror + fades, music, CRF 23\n");
    std::printf(
        "medians of %d alternating rounds; each run a fresh process; RSS = peak (ru_maxrss); "
        "MB = MiB\n\n",
        rounds);
    std::printf(
        "wall s: elapsed; cpu s: user + system of the whole process (under load, a process with "
        "more threads gets a bigger share of the machine: compare cpu s too)\n\n");
    std::printf("%-6s %-9s | %9s %9s %7s | %9s %9s %7s | %9s %9s %7s\n", "input", "preset", "lib s",
                "cli s", "ratio", "lib cpu s", "cli cpu s", "ratio", "lib MB", "cli MB", "ratio");
    for (const auto& preset : rounds > 0 ? presets : std::vector<std::string>{}) {
        for (const auto& in : inputs) {
            std::vector<double> lw, cw, lr, cr, lc, cc;
            for (int r = 0; r < rounds; ++r) {
                const auto lib_out = dir / "lib.mp4";
                const auto cli_out = dir / "cli.mp4";
                const Run lib =
                    spawn_and_measure({self.string(), "--child-render", in.file.string(), preset,
                                       music.string(), lib_out.string()});
                const Run cli =
                    spawn_and_measure(ffmpeg_job(in.file, in.still, music, preset, cli_out));
                lw.push_back(lib.wall);
                lr.push_back(lib.rss_mb);
                cw.push_back(cli.wall);
                cr.push_back(cli.rss_mb);
                lc.push_back(lib.cpu);
                cc.push_back(cli.cpu);
            }
            std::printf("%-6s %-9s | %9.2f %9.2f %7.2f | %9.2f %9.2f %7.2f | %9.1f %9.1f %7.2f\n",
                        in.name, preset.c_str(), median(lw), median(cw), median(lw) / median(cw),
                        median(lc), median(cc), median(lc) / median(cc), median(lr), median(cr),
                        median(lr) / median(cr));
            std::fflush(stdout);
        }
    }

    // The encoder alone: CLI defaults vs the library's x264 settings (threads, params, GOP and,
    // from medium on, 2 reference frames), first on flat grey frames, then on the still render's
    // own picture (the test pattern fitted and mirrored by the CLI, kept as one raw frame, looped
    // and faded as the render does): a flat frame costs x264 far less than the test pattern, so
    // only the second is the "encoder alone" share of a still render.
    const auto fitted = dir / "fitted.yuv";
    sh("-i " + still.string() +
       " -vf 'scale=1080:1920:force_original_aspect_ratio=decrease,"
       "pad=1080:1920:(ow-iw)/2:(oh-ih)/2:black,hflip,format=yuv420p' -frames:v 1 -f rawvideo " +
       fitted.string());
    const std::vector<std::string> grey = {"-f", "lavfi", "-i",
                                           "color=c=gray:s=1080x1920:r=24:d=10"};
    const std::vector<std::string> picture = {
        "-stream_loop", "-1",
        "-f",           "rawvideo",
        "-pix_fmt",     "yuv420p",
        "-s",           "1080x1920",
        "-framerate",   "24",
        "-i",           fitted.string(),
        "-vf",          "fade=t=in:st=0:d=0.5,fade=t=out:st=9.5:d=0.5",
        "-t",           "10"};
    const struct {
        const char* title;
        const std::vector<std::string>& input;
    } sources[] = {{"240 identical grey 1080x1920 frames", grey},
                   {"the still render's picture, 240 frames with its fades", picture}};
    for (const auto& source : sources) {
        std::printf("\nencoder alone (%s, ffmpeg CLI, -f null):\n", source.title);
        for (const auto& preset : rounds > 0 ? presets : std::vector<std::string>{}) {
            std::vector<std::string> base = {"ffmpeg",    "-nostdin", "-hide_banner",
                                             "-loglevel", "error",    "-y"};
            base.insert(base.end(), source.input.begin(), source.input.end());
            base.insert(base.end(), {"-c:v", "libx264", "-preset", preset, "-crf", "23"});
            auto ours = base;
            // As output_file.cpp: no AVX-512 in x264 where the CPU has it.
            const bool slow = preset == "medium" || preset == "slow" || preset == "slower" ||
                              preset == "veryslow" || preset == "placebo";
            const std::string params = std::string("sliced-threads=1:rc-lookahead=2:bframes=") +
                                       (slow ? "1" : "0") + (cpu_has_avx512() ? ":asm=avx2" : "");
            ours.insert(ours.end(), {"-threads", "2", "-x264-params", params, "-g", "240"});
            if (preset == "medium" || preset == "slow" || preset == "slower" ||
                preset == "veryslow" || preset == "placebo") {
                ours.insert(ours.end(), {"-refs", "2"});
            }
            auto theirs = base;
            theirs.insert(theirs.end(), {"-f", "null", "-"});
            ours.insert(ours.end(), {"-f", "null", "-"});
            std::vector<double> dw, dr, dc, ow, orss, oc;
            for (int r = 0; r < rounds; ++r) {
                const Run d = spawn_and_measure(theirs);
                const Run o = spawn_and_measure(ours);
                dw.push_back(d.wall);
                dr.push_back(d.rss_mb);
                dc.push_back(d.cpu);
                ow.push_back(o.wall);
                orss.push_back(o.rss_mb);
                oc.push_back(o.cpu);
            }
            std::printf(
                "  %-9s x264 defaults: %6.2f s (cpu %5.2f s) %7.1f MB | library settings: %6.2f s "
                "(cpu %5.2f s) %7.1f MB\n",
                preset.c_str(), median(dw), median(dc), median(dr), median(ow), median(oc),
                median(orss));
        }
    }

    // Many renders in one process: memory after the last vs after the first.
    if (repeat > 0) {
        memegen::MemeRenderer renderer;
        const char* kinds[] = {"still", "gif", "video"};
        Memory first, last;
        std::vector<double> later;  // RSS MB after each render but the first
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < repeat; ++i) {
            auto o = seed_job("veryfast", music);
            o.size = {320, 568};
            o.duration_seconds = 2.0;
            o.effects.reset();
            o.seed = static_cast<std::uint64_t>(i);
            o.variant_group = i % 5;
            o.captions.top = "render " + std::to_string(i);
            renderer.render(inputs[i % 3].file, dir / "repeat.mp4", o);
            const Memory now = memory_now();
            if (i == 0)
                first = now;
            last = now;
            if (i > 0)
                later.push_back(mib(now.rss));
            if ((i + 1) % 20 == 0 || i < 3) {
                std::fprintf(stderr, "  render %d (%s): RSS %.1f MB (anon %.1f, file %.1f)\n",
                             i + 1, kinds[i % 3], mib(now.rss), mib(now.anon), mib(now.file));
            }
        }
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const auto diff = [](std::uint64_t a, std::uint64_t b) {
            return (static_cast<double>(a) - static_cast<double>(b)) / 1048576.0;
        };
        std::printf(
            "\n%d renders in one process, %.1f s: 320x568, 2 s, veryfast, seeded effects, "
            "captions, the inputs in turn still, GIF, video (the first render is the still: "
            "'after the first' has not yet used the GIF and H.264 decoders).\n"
            "RSS read from /proc/self/status right after each render returns (no trimming or "
            "waiting by the bench):\n",
            repeat, seconds);
        std::printf("  %-22s %9s %9s %9s\n", "", "RSS MB", "anon MB", "file MB");
        std::printf("  %-22s %9.1f %9.1f %9.1f\n", "after the first", mib(first.rss),
                    mib(first.anon), mib(first.file));
        std::printf("  %-22s %9.1f %9.1f %9.1f\n", "after the last", mib(last.rss), mib(last.anon),
                    mib(last.file));
        std::printf("  %-22s %+9.1f %+9.1f %+9.1f\n", "last - first", diff(last.rss, first.rss),
                    diff(last.anon, first.anon), diff(last.file, first.file));
        std::printf(
            "  (anon: heap, stacks, tables; file: mapped library pages, which grow once as more "
            "of FFmpeg's code runs)\n");
        if (!later.empty()) {
            std::printf(
                "  after each of renders 2-%d: lowest %.1f MB, median %.1f MB, highest %.1f MB "
                "(how much freed memory glibc's arenas keep varies from render to render)\n",
                repeat, *std::min_element(later.begin(), later.end()), median(later),
                *std::max_element(later.begin(), later.end()));
        }
    }
    fs::remove_all(dir);
    return 0;
}
