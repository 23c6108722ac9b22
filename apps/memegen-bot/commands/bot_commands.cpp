#include "commands/bot_commands.hpp"

namespace memegen::bot {

CommandTable bot_commands(const CommandActions& a) {
    return CommandTable({
        {"generate", "/generate — make one meme\n/generate N — make N memes in a row",
         "/generate — сделать один мем\n/generate N — сделать N мемов подряд",
         "Make a meme (or /generate N)", "Сделать мем (или /generate N)",
         Access::open_without_argument, a.generate},
        {"runscheduled", "/runscheduled — run the scheduled job now",
         "/runscheduled — запустить плановую генерацию сейчас", "Run the scheduled job now",
         "Плановая генерация сейчас", Access::admin, a.run_scheduled},
        {"status", "/status — memory, lock, last problem, schedule",
         "/status — память, блокировка, последняя проблема, расписание", "Memory, lock, schedule",
         "Память, блокировка, расписание", Access::admin, a.status},
        {"cancel", "/cancel — cancel the running generation",
         "/cancel — отменить текущую генерацию", "Cancel the generation", "Отменить генерацию",
         Access::admin, a.cancel},
        {"clearhistory", "/clearhistory — forget which sources were used",
         "/clearhistory — забыть использованные источники", "Forget used sources",
         "Забыть источники", Access::admin, a.clear_history},
        // Schedule and housekeeping (issue 13).
        {"scheduleinfo", "/scheduleinfo — today's slots, numbered, and what became of them",
         "/scheduleinfo — слоты на сегодня по номерам и что с ними", "Today's schedule",
         "Расписание на сегодня", Access::admin, a.schedule_info},
        {"setnext", "/setnext # time — move a slot: HH:MM, +30m, -1h or YYYY-MM-DD HH:MM",
         "/setnext № время — перенести слот: ЧЧ:ММ, +30m, -1h или ГГГГ-ММ-ДД ЧЧ:ММ",
         "Move a slot (/setnext # time)", "Перенести слот (/setnext № время)", Access::admin,
         a.set_next},
        {"rebuildschedule", "/rebuildschedule — draw today's pending slots anew",
         "/rebuildschedule — заново разыграть ожидающие слоты", "Draw pending slots anew",
         "Разыграть слоты заново", Access::admin, a.rebuild_schedule},
        {"cleanup", "/cleanup — remove work files older than cleanup_hours",
         "/cleanup — удалить рабочие файлы старше cleanup_hours", "Remove old work files",
         "Удалить старые рабочие файлы", Access::admin, a.cleanup},
        {"chatid", "/chatid — this chat's id (for channel or review_chat)",
         "/chatid — id этого чата (для channel или review_chat)", "This chat's id", "Id этого чата",
         Access::admin, a.chat_id},
        {"dryrun",
         "/dryrun — is the dry run on? /dryrun on|off — Publish only says what it would post",
         "/dryrun — включён ли пробный режим? /dryrun on|off — «Опубликовать» только сообщает, "
         "что опубликовал бы",
         "Dry run of Publish on/off", "Пробная публикация вкл/выкл", Access::admin, a.dry_run},
        {"history", "/history — the last 10 published videos with their links (/history N: N)",
         "/history — последние 10 опубликованных видео со ссылками (/history N: N)",
         "Published videos", "Опубликованные видео", Access::admin, a.history},
        {"connect", "/connect — /connect youtube: authorize uploads with a code",
         "/connect — /connect youtube: разрешить загрузку по коду", "Connect YouTube",
         "Подключить YouTube", Access::admin, a.connect},
        {"disconnect", "/disconnect — /disconnect youtube: revoke the authorization",
         "/disconnect — /disconnect youtube: отозвать доступ", "Disconnect YouTube",
         "Отключить YouTube", Access::admin, a.disconnect},
        {"help", "/help — this help", "/help — эта справка", "Help", "Справка", Access::admin,
         a.help},
        // Telegram sends /start when a user opens the bot: the help, unlisted.
        {"start", "", "", "", "", Access::admin, a.help},
    });
}

}  // namespace memegen::bot
