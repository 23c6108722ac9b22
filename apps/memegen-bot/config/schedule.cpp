#include "config/schedule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include <memegen/detail/clock.hpp>
#include <memegen/detail/files.hpp>
#include <memegen/error.hpp>
#include <memegen/log.hpp>

#include "state/state_file.hpp"

namespace memegen::bot {

using nlohmann::json;
using std::chrono::seconds;

namespace {

constexpr int kFileVersion = 1;

bool handled(SlotStatus status) {
    return status != SlotStatus::pending && status != SlotStatus::running;
}

TimePoint floor_seconds(TimePoint t) {
    return std::chrono::time_point_cast<seconds>(t);
}

// What must match for a saved plan to stay valid.
json signature_of(const ScheduleSettings& s) {
    return {{"timezone", s.timezone},
            {"daily_generations", s.daily_generations},
            {"window_start", s.window_start.to_string()},
            {"window_end", s.window_end.to_string()}};
}

json plan_to_json(const DailyPlan& plan) {
    json slots = json::array();
    for (const auto& slot : plan.slots) {
        slots.push_back({{"when", memegen::detail::local_timestamp(slot.when)},
                         {"status", to_string(slot.status)}});
    }
    return {{"date", plan.date}, {"slots", slots}};
}

// value("version", 0) would throw type_error on a version of another type.
bool has_file_version(const json& j) {
    return j.is_object() && j.contains("version") && j["version"].is_number_integer() &&
           j["version"].get<std::int64_t>() == kFileVersion;
}

std::optional<DailyPlan> plan_from_json(const json& j) {
    if (!j.is_object() || !j.contains("date") || !j["date"].is_string() || !j.contains("slots") ||
        !j["slots"].is_array()) {
        return std::nullopt;
    }
    DailyPlan plan;
    plan.date = j["date"].get<std::string>();
    if (!LocalDate::parse(plan.date))
        return std::nullopt;
    for (const auto& item : j["slots"]) {
        if (!item.is_object() || !item.contains("when") || !item["when"].is_string() ||
            !item.contains("status") || !item["status"].is_string()) {
            return std::nullopt;
        }
        const auto when = memegen::detail::parse_timestamp(item["when"].get<std::string>());
        const auto status = parse_slot_status(item["status"].get<std::string>());
        if (!when || !status)
            return std::nullopt;
        plan.slots.push_back({*when, *status});
    }
    if (!std::is_sorted(plan.slots.begin(), plan.slots.end(),
                        [](const Slot& a, const Slot& b) { return a.when < b.when; })) {
        return std::nullopt;
    }
    return plan;
}

}  // namespace

std::string_view to_string(SlotStatus status) noexcept {
    switch (status) {
        case SlotStatus::pending:
            return "pending";
        case SlotStatus::running:
            return "running";
        case SlotStatus::done:
            return "done";
        case SlotStatus::failed:
            return "failed";
        case SlotStatus::skipped:
            return "skipped";
    }
    return "pending";
}

std::optional<SlotStatus> parse_slot_status(std::string_view text) noexcept {
    for (const auto s : {SlotStatus::pending, SlotStatus::running, SlotStatus::done,
                         SlotStatus::failed, SlotStatus::skipped}) {
        if (to_string(s) == text)
            return s;
    }
    return std::nullopt;
}

PlanCounts count_slots(const DailyPlan& plan) noexcept {
    PlanCounts c;
    for (const auto& slot : plan.slots) {
        switch (slot.status) {
            case SlotStatus::pending:
                ++c.pending;
                break;
            case SlotStatus::running:
                ++c.running;
                break;
            case SlotStatus::done:
                ++c.done;
                break;
            case SlotStatus::failed:
                ++c.failed;
                break;
            case SlotStatus::skipped:
                ++c.skipped;
                break;
        }
    }
    return c;
}

ScheduleSettings ScheduleSettings::from(const BotConfig& config) {
    return ScheduleSettings{config.daily_generations, config.window_start, config.window_end,
                            config.missed_slots, config.timezone};
}

seconds max_jitter(seconds segment) noexcept {
    return std::min(seconds(segment.count() / 3), seconds(30 * 60));
}

DailyPlan draw_plan(const LocalDate& date, const ScheduleSettings& settings,
                    std::mt19937_64& random) {
    DailyPlan plan{date.to_string(), {}};
    const int n = settings.daily_generations;
    if (n <= 0)
        return plan;
    plan.slots = draw_slots(local_to_utc(date, settings.window_start.minutes),
                            local_to_utc(date, settings.window_end.minutes), n, random);
    return plan;
}

std::vector<Slot> draw_slots(TimePoint start, TimePoint end, int n, std::mt19937_64& random) {
    std::vector<Slot> slots;
    const auto total = std::chrono::duration_cast<seconds>(end - start).count();
    if (n <= 0 || total <= 0)
        return slots;
    const double segment = static_cast<double>(total) / n;
    const auto jitter = max_jitter(seconds(static_cast<std::int64_t>(segment))).count();
    std::uniform_int_distribution<std::int64_t> offset(-jitter, jitter);
    for (int i = 0; i < n; ++i) {
        const auto middle = static_cast<std::int64_t>(std::llround(segment * (i + 0.5)));
        slots.push_back(
            {floor_seconds(start) + seconds(middle + offset(random)), SlotStatus::pending});
    }
    return slots;
}

namespace {

/// schedule.json's content: the plans, and the settings they were drawn with.
struct StoredSchedule {
    SavedSchedule saved;
    json settings;  ///< null when absent
};

std::optional<StoredSchedule> parse_schedule(const json& j) {
    if (!has_file_version(j) || !j.contains("plan"))
        return std::nullopt;
    StoredSchedule stored;
    auto plan = plan_from_json(j["plan"]);
    if (!plan)
        return std::nullopt;
    stored.saved.plan = std::move(*plan);
    if (j.contains("previous") && !j["previous"].is_null()) {
        stored.saved.previous = plan_from_json(j["previous"]);
        if (!stored.saved.previous)
            return std::nullopt;
    }
    if (j.contains("settings")) {
        stored.settings = j["settings"];
        if (stored.settings.is_object()) {
            const auto& n = stored.settings.value("daily_generations", json());
            if (n.is_number_integer())
                stored.saved.daily_generations = n.get<int>();
        }
    }
    return stored;
}

JsonStateFile state_file_in(const std::filesystem::path& dir) {
    return {dir / "schedule.json", "a schedule plan"};
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Scheduler::Scheduler(std::filesystem::path state_dir, ScheduleSettings settings, TimePoint now,
                     std::optional<std::uint64_t> seed)
    : dir_(std::move(state_dir)), settings_(std::move(settings)) {
    random_.seed(seed ? *seed
                      : (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                            std::random_device{}());
    memegen::detail::ensure_private_directory(dir_);
    const LocalDate today = local_date_of(now);
    if (load()) {
        // Slots that were running when the bot stopped were interrupted: they failed.
        for (DailyPlan* p : {&plan_, previous_ ? &*previous_ : nullptr}) {
            if (p == nullptr)
                continue;
            for (auto& slot : p->slots) {
                if (slot.status == SlotStatus::running) {
                    slot.status = SlotStatus::failed;
                    startup_.interrupted.push_back(slot.when);
                }
            }
        }
        if (plan_.date < today.to_string()) {
            for (auto& slot : plan_.slots) {
                if (slot.status == SlotStatus::pending) {
                    slot.status = SlotStatus::skipped;
                    startup_.missed.push_back(slot.when);
                }
            }
            previous_ = std::move(plan_);
            plan_ = draw_plan(today, settings_, random_);
        }
        apply_missed_policy(plan_, now, settings_.missed_slots == MissedSlotPolicy::catch_up_one,
                            true);
    } else {
        previous_.reset();
        plan_ = draw_plan(today, settings_, random_);
        apply_missed_policy(plan_, now, false, false);
    }
    refresh(now);
    save();
    if (!startup_.missed.empty()) {
        log_warning("schedule: {} slot(s) missed while the bot was down{}", startup_.missed.size(),
                    startup_.caught_up ? "; the most recent one runs now" : "; skipped");
    }
}

bool Scheduler::load() {
    auto loaded = state_file_in(dir_).load(parse_schedule);
    if (loaded.problem) {
        log_warning("schedule: {}; drawing a new plan", *loaded.problem);
        startup_.problems.push_back(*loaded.problem);
    }
    if (!loaded.value)
        return false;
    if (loaded.value->settings != signature_of(settings_)) {
        log_info("schedule: settings changed since the plan was drawn; drawing a new plan");
        return false;
    }
    plan_ = std::move(loaded.value->saved.plan);
    previous_ = std::move(loaded.value->saved.previous);
    return true;
}

void Scheduler::save() {
    const json j = {{"version", kFileVersion},
                    {"settings", signature_of(settings_)},
                    {"plan", plan_to_json(plan_)},
                    {"previous", previous_ ? plan_to_json(*previous_) : json(nullptr)}};
    state_file_in(dir_).save(j);
}

void Scheduler::apply_missed_policy(DailyPlan& plan, TimePoint now, bool catch_up, bool report) {
    std::vector<std::size_t> past;
    for (std::size_t i = 0; i < plan.slots.size(); ++i) {
        if (plan.slots[i].status == SlotStatus::pending && plan.slots[i].when <= now) {
            past.push_back(i);
        }
    }
    for (std::size_t k = 0; k < past.size(); ++k) {
        const bool keep = catch_up && k + 1 == past.size();
        if (report)
            startup_.missed.push_back(plan.slots[past[k]].when);
        if (keep) {
            startup_.caught_up = SlotId{plan.date, past[k]};
        } else {
            plan.slots[past[k]].status = SlotStatus::skipped;
        }
    }
}

void Scheduler::refresh(TimePoint now) {
    const LocalDate today = local_date_of(now);
    const std::string today_text = today.to_string();
    bool changed = false;
    if (plan_.date < today_text) {
        // A new day began while this day's slots were still pending (the bot was busy or the
        // machine slept): they are not run late.
        for (auto& slot : plan_.slots) {
            if (slot.status == SlotStatus::pending)
                slot.status = SlotStatus::skipped;
        }
        previous_ = std::move(plan_);
        plan_ = draw_plan(today, settings_, random_);
        for (auto& slot : plan_.slots) {
            if (slot.when <= now)
                slot.status = SlotStatus::skipped;
        }
        changed = true;
    }
    const bool all_handled = std::all_of(plan_.slots.begin(), plan_.slots.end(),
                                         [](const Slot& s) { return handled(s.status); });
    if (plan_.date == today_text && !plan_.slots.empty() && all_handled) {
        previous_ = std::move(plan_);
        plan_ = draw_plan(today.next(), settings_, random_);
        changed = true;
    }
    if (changed)
        save();
}

std::optional<TimePoint> Scheduler::next_slot(TimePoint now) {
    refresh(now);
    for (const auto& slot : plan_.slots) {
        if (slot.status == SlotStatus::pending)
            return slot.when;
    }
    return std::nullopt;
}

std::vector<SlotId> Scheduler::due(TimePoint now) {
    refresh(now);
    std::vector<SlotId> result;
    for (const DailyPlan* p : {previous_ ? &*previous_ : nullptr, &plan_}) {
        if (p == nullptr)
            continue;
        for (std::size_t i = 0; i < p->slots.size(); ++i) {
            if (p->slots[i].status == SlotStatus::pending && p->slots[i].when <= now) {
                result.push_back({p->date, i});
            }
        }
    }
    return result;
}

DailyPlan* Scheduler::find_plan(const std::string& date) {
    if (plan_.date == date)
        return &plan_;
    if (previous_ && previous_->date == date)
        return &*previous_;
    return nullptr;
}

const DailyPlan* Scheduler::find_plan(const std::string& date) const {
    if (plan_.date == date)
        return &plan_;
    if (previous_ && previous_->date == date)
        return &*previous_;
    return nullptr;
}

bool Scheduler::mark(const SlotId& slot, SlotStatus status) {
    DailyPlan* plan = find_plan(slot.date);
    if (plan == nullptr || slot.index >= plan->slots.size())
        return false;
    plan->slots[slot.index].status = status;
    save();
    return true;
}

namespace {

void sort_by_time(DailyPlan& plan) {
    std::stable_sort(plan.slots.begin(), plan.slots.end(),
                     [](const Slot& a, const Slot& b) { return a.when < b.when; });
}

}  // namespace

SlotMove Scheduler::move_slot(std::size_t index, TimePoint when) {
    if (index >= plan_.slots.size())
        return {std::nullopt, SlotMoveRefusal::unknown_slot};
    if (plan_.slots[index].status != SlotStatus::pending)
        return {std::nullopt, SlotMoveRefusal::not_pending};
    when = floor_seconds(when);
    if (local_date_of(when).to_string() != plan_.date)
        return {std::nullopt, SlotMoveRefusal::other_day};
    plan_.slots.erase(plan_.slots.begin() + static_cast<std::ptrdiff_t>(index));
    // After every slot of the same time: the order of equal times stays that of arrival.
    const auto place = std::upper_bound(plan_.slots.begin(), plan_.slots.end(), when,
                                        [](TimePoint t, const Slot& s) { return t < s.when; });
    const auto at = plan_.slots.insert(place, Slot{when, SlotStatus::pending});
    save();
    return {static_cast<std::size_t>(at - plan_.slots.begin()), {}};
}

SlotRedraw Scheduler::redraw_remaining(TimePoint now) {
    SlotRedraw out;
    std::vector<Slot> kept;
    int remaining = 0;
    for (const auto& slot : plan_.slots) {
        if (slot.status == SlotStatus::pending && slot.when > now) {
            ++remaining;
        } else {
            kept.push_back(slot);
        }
    }
    if (remaining == 0)
        return out;
    const auto date = *LocalDate::parse(plan_.date);
    // The next whole second: a redrawn slot is never due at once.
    const TimePoint start = std::max(floor_seconds(now) + seconds(1),
                                     local_to_utc(date, settings_.window_start.minutes));
    const TimePoint end = local_to_utc(date, settings_.window_end.minutes);
    // At least a minute a slot, or the draw would stack them at the window's very end.
    if (end - start < std::chrono::minutes(remaining)) {
        out.window_over = true;
        return out;
    }
    for (auto& slot : draw_slots(start, end, remaining, random_))
        kept.push_back(slot);
    plan_.slots = std::move(kept);
    sort_by_time(plan_);
    out.redrawn = remaining;
    save();
    return out;
}

std::optional<TimePoint> Scheduler::when(const SlotId& slot) const {
    const DailyPlan* plan = find_plan(slot.date);
    if (plan == nullptr || slot.index >= plan->slots.size())
        return std::nullopt;
    return plan->slots[slot.index].when;
}

std::optional<DailyPlan> Scheduler::plan_for_day_of(TimePoint now) {
    refresh(now);
    if (const DailyPlan* plan = find_plan(local_date_of(now).to_string()))
        return *plan;
    return std::nullopt;
}

PlanCounts Scheduler::today_counts(TimePoint now) {
    const auto plan = plan_for_day_of(now);
    return plan ? count_slots(*plan) : PlanCounts{};
}

std::optional<TimePoint> SavedSchedule::next_slot() const {
    for (const DailyPlan* p : {previous ? &*previous : nullptr, &plan}) {
        if (p == nullptr)
            continue;
        for (const auto& slot : p->slots) {
            if (slot.status == SlotStatus::pending)
                return slot.when;
        }
    }
    return std::nullopt;
}

std::optional<DailyPlan> SavedSchedule::plan_for_day_of(TimePoint now) const {
    const auto date = local_date_of(now).to_string();
    if (plan.date == date)
        return plan;
    if (previous && previous->date == date)
        return previous;
    return std::nullopt;
}

std::optional<SavedSchedule> read_saved_schedule(const std::filesystem::path& file) {
    // Read-only (for /status and memegen-status): a file that cannot be read is no schedule;
    // the bot moves it aside at its next start.
    auto stored = JsonStateFile(file, "a schedule plan").peek(parse_schedule);
    if (!stored)
        return std::nullopt;
    return std::move(stored->saved);
}

std::string format_time_until(TimePoint when, TimePoint now, Language language) {
    const std::string clock = local_clock_text(when);
    const bool ru = language == Language::ru;
    const auto left = std::chrono::duration_cast<seconds>(when - now).count();
    if (left <= 0)
        return fmt::format("{} ({})", ru ? "сейчас" : "now", clock);
    const auto minutes = (left + 59) / 60;  // rounded up: never "in 0 min" for a future slot
    const auto hours = minutes / 60;
    const auto rest = minutes % 60;
    const char* in = ru ? "через" : "in";
    const char* h = ru ? "ч" : "h";
    const char* min = ru ? "мин" : "min";
    if (hours == 0)
        return fmt::format("{} {} {} ({})", in, minutes, min, clock);
    if (rest == 0)
        return fmt::format("{} {} {} ({})", in, hours, h, clock);
    return fmt::format("{} {} {} {} {} ({})", in, hours, h, rest, min, clock);
}

}  // namespace memegen::bot
