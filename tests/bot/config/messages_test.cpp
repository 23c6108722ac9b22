// The bot's catalogue in Russian (issue 11): Russian plural forms and units, no English words
// of ours inside Russian messages, and the causes of a failed render with their evidence.

#include <doctest/doctest.h>

#include <string>

#include "core/messages.hpp"
#include "library/look_alikes.hpp"

using memegen::bot::Language;
using memegen::bot::Messages;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("Russian plural forms: 1 кандидат, 2 кандидата, 5 кандидатов") {
    const Messages ru{Language::ru};
    CHECK(contains(ru.scheduled_intro(1), " 1 кандидат на проверку"));
    CHECK(contains(ru.scheduled_intro(2), " 2 кандидата на проверку"));
    CHECK(contains(ru.scheduled_intro(4), " 4 кандидата на проверку"));
    CHECK(contains(ru.scheduled_intro(5), " 5 кандидатов на проверку"));
    CHECK(contains(ru.scheduled_intro(11), " 11 кандидатов на проверку"));
    CHECK(contains(ru.scheduled_intro(21), " 21 кандидат на проверку"));
    CHECK(contains(ru.scheduled_intro(22), " 22 кандидата на проверку"));
    CHECK_FALSE(contains(ru.scheduled_intro(3), "("));
    const Messages en{Language::en};
    CHECK(en.scheduled_intro(3) == "🗓 Scheduled generation: 3 candidates to review.");
}

TEST_CASE("Russian units are с and МБ, and a lock label has no English 'by'") {
    const Messages ru{Language::ru};
    CHECK(contains(ru.busy(12), "12 с назад"));
    CHECK(contains(ru.cooldown(30), "30 с "));
    CHECK(contains(ru.batch_summary(2, 1, 40), "40 с"));
    for (const auto& text : {ru.busy(12), ru.cooldown(30), ru.batch_summary(2, 1, 40)})
        CHECK_FALSE(contains(text, "сек."));
    CHECK(contains(ru.upload_facts("video", 640, 360, 4.2, 1'200'000), "4.2 с · 1.2 МБ"));
    CHECK(ru.job_label("/generate 3", "@ann") == "/generate 3 (@ann)");
    CHECK(Messages{Language::en}.job_label("/generate 3", "@ann") == "/generate 3 by @ann");
}

TEST_CASE("a render killed by SIGKILL is put down to memory only with evidence, in Russian too") {
    const Messages ru{Language::ru};
    SUBCASE("the OOM-kill counter grew") {
        const auto text = ru.child_killed_ru(3, 4, 10.0, 2048);
        CHECK(contains(text, "не хватило памяти"));
        CHECK(contains(text, "oom_kill 3 → 4"));
    }
    SUBCASE("the last sample was at 80 % of the limit or more") {
        const auto text = ru.child_killed_ru(3, 3, 91.0, 512);
        CHECK(contains(text, "вероятно, не хватило памяти"));
        CHECK(contains(text, "91 % предела 512 МБ"));
    }
    SUBCASE("no evidence: only what is known") {
        const auto text = ru.child_killed_ru(3, 3, 0.5, 2048);
        CHECK_FALSE(contains(text, "памяти"));
        CHECK(contains(text, "счётчик OOM-kill не изменился"));
        CHECK_FALSE(contains(ru.child_killed_ru(std::nullopt, std::nullopt, 0.5, 2048), "памяти"));
    }
}

TEST_CASE("a batch stopped by shutdown or /cancel, and told after a restart") {
    const Messages en{Language::en};
    CHECK(en.batch_stopped(true, 1, 3) == "⏹ Stopped by shutdown: 1 of 3 made.");
    CHECK(en.batch_stopped(false, 0, 3) == "⏹ Cancelled: 0 of 3 made.");
    CHECK(contains(en.batch_interrupted("/generate 3 by @ann", 1, 3), "1 of 3 made"));
    const Messages ru{Language::ru};
    CHECK(
        ru.batch_stopped(true, 1, 3) ==
        "⏹ Остановлено при выключении бота: готово 1 из 3.");
    CHECK(contains(ru.batch_interrupted("/generate 3 (@ann)", 1, 3), "готово 1 из 3"));
}

TEST_CASE("the schedule and housekeeping answers read right in both languages") {
    using memegen::bot::SlotStatus;
    const Messages en{Language::en};
    const Messages ru{Language::ru};
    CHECK(en.schedule_slot(2, "16:30", SlotStatus::skipped, false) == "#2 16:30 — ⏭ missed");
    CHECK(ru.schedule_slot(2, "16:30", SlotStatus::skipped, true) ==
          "#2 16:30 — ⏭ пропущено ← перенесено");
    CHECK(en.schedule_head("2026-12-01 14:05", "", "10:00", "24:00", 3, "2026-12-01") ==
          "🗓 <b>Schedule</b>\nNow: 2026-12-01 14:05 (system zone)\nWindow: 10:00–24:00, 3 a "
          "day\nPlan for 2026-12-01:");
    CHECK(ru.slot_moved(3, "12:02", 2) == "✅ Слот #3 перенесён на 12:02, теперь это #2.");
    CHECK(en.slot_moved(2, "12:02", 2) == "✅ Slot #2 moved to 12:02.");
    CHECK(ru.schedule_redrawn(1) == "🔄 Заново разыграно: 1 слот.");
    CHECK(ru.schedule_redrawn(3) == "🔄 Заново разыграно: 3 слота.");
    CHECK(ru.schedule_redrawn(5) == "🔄 Заново разыграно: 5 слотов.");
    CHECK(en.cleanup_done(1, 0.31, 24, 0) == "🧹 Removed 1 work file older than 24 h (0.3 MB).");
    CHECK(en.cleanup_done(0, 0, 24, 2) ==
          "🧹 No work file is older than 24 h. 2 could not be removed (see the log).");
    CHECK(ru.cleanup_done(2, 1.5, 24, 0) ==
          "🧹 Удалено 2 рабочих файла старше 24 ч (1.5 МБ).");
    CHECK(ru.cleanup_done(5, 1.5, 24, 0) ==
          "🧹 Удалено 5 рабочих файлов старше 24 ч (1.5 МБ).");
    CHECK(ru.cleanup_done(0, 0, 12, 0) ==
          "🧹 Рабочих файлов старше 12 ч нет.");
    CHECK(ru.chat_id("-100123", false) == "Id этого чата: <code>-100123</code>");
    // No English word of ours in the Russian answers.
    for (const auto& text :
         {ru.setnext_usage(), ru.schedule_hint(), ru.schedule_disabled(),
          ru.setnext_unknown_slot(9, 3), ru.setnext_not_pending(1, SlotStatus::done),
          ru.setnext_passed("10:00", "12:00"), ru.setnext_too_far("2026-12-05 10:00", 48),
          ru.setnext_other_day("2026-12-02 01:00", "2026-12-01"), ru.schedule_nothing_to_redraw(),
          ru.schedule_window_over("24:00")}) {
        CAPTURE(text);
        for (const char* word : {" the ", " slot", " is ", "pending", " moved"})
            CHECK_FALSE(contains(text, word));
    }
}

TEST_CASE("a near-duplicate's refusal names the look-alike, and when it was published") {
    using memegen::bot::SeenKind;
    const Messages en{Language::en};
    CHECK(en.upload_refused(en.near_duplicate(SeenKind::library, "cat.png", "", "", 3, 12)) ==
          "❌ Not added: it looks like <b>cat.png</b>, already in the meme library (3 of 64 bits "
          "apart; library.duplicate_distance is 12).");
    CHECK(contains(en.near_duplicate(SeenKind::published, "cat.png", "2026-11-30", "14:05", 0, 12),
                   "<b>cat.png</b>, published on 2026-11-30 at 14:05 (0 of 64 bits"));
    CHECK(contains(en.near_duplicate(SeenKind::published, "cat.png", "", "", 0, 12),
                   "published earlier"));
    CHECK(contains(en.near_duplicate(SeenKind::disliked, "cat.png", "2026-11-30", "14:05", 0, 12),
                   "disliked on 2026-11-30 at 14:05"));
    const Messages ru{Language::ru};
    CHECK(ru.upload_refused(ru.near_duplicate(SeenKind::library, "cat.png", "", "", 3, 12)) ==
          "❌ Не добавлено: он похож на <b>cat.png</b> из медиатеки мемов (отличие 3 бита из 64; "
          "library.duplicate_distance = 12).");
    CHECK(contains(ru.near_duplicate(SeenKind::published, "cat.png", "2026-11-30", "14:05", 1, 12),
                   "опубликованный 2026-11-30 в 14:05 (отличие 1 бит из 64"));
    CHECK(contains(ru.near_duplicate(SeenKind::disliked, "cat.png", "", "", 5, 12),
                   "«не нравится» (отличие 5 бит"));
}
