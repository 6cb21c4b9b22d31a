from django.urls import path

from .views import choosing, my, parallel, setup, stats, substitutions, versions, wishes

app_name = "timetable"

urlpatterns = [
    # everyone
    path("my/", my.my_timetable, name="my"),
    path("class/<int:pk>/", my.class_timetable, name="class"),
    path("class/<int:pk>/export.<str:fmt>", my.class_export, name="class_export"),
    path("teacher/<int:school>/<int:person>/", my.teacher_timetable, name="teacher"),
    path("teacher/<int:school>/<int:person>/export.<str:fmt>", my.teacher_export, name="teacher_export"),
    path("feed/<str:token>.ics", my.ics_feed, name="ics_feed"),
    path("feed/regenerate/", my.ics_regenerate, name="ics_regenerate"),
    path("my/wishes/", wishes.my_wishes, name="my_wishes"),
    path("my/wishes/slot/", wishes.my_wish_slot, name="my_wish_slot"),
    # 教务: setup
    path("manage/", setup.manage_index, name="manage_index"),
    path("manage/<int:school>/", setup.manage, name="manage"),
    path("manage/<int:school>/week/", setup.week, name="week"),
    path("manage/<int:school>/week/slot/", setup.week_slot, name="week_slot"),
    path("manage/<int:school>/plans/", setup.plans, name="plans"),
    path("manage/<int:school>/rooms/", setup.rooms, name="rooms"),
    path("manage/<int:school>/rooms/<int:room>/", setup.room_rule, name="room_rule"),
    path("manage/<int:school>/rooms/<int:room>/slot/", setup.room_slot, name="room_slot"),
    path("manage/<int:school>/teachers/", setup.teachers, name="teachers"),
    path("manage/<int:school>/teachers/<int:person>/", setup.teacher_rule, name="teacher_rule"),
    path("manage/<int:school>/teachers/<int:person>/slot/", setup.teacher_slot, name="teacher_slot"),
    path("manage/class/<int:pk>/", setup.class_rule, name="class_rule"),
    path("manage/class/<int:pk>/slot/", setup.class_slot, name="class_slot"),
    # 教务: 合班 and 走班
    path("manage/<int:school>/combined/", parallel.combined, name="combined"),
    path("manage/<int:school>/combined/<int:pk>/delete/", parallel.combined_delete, name="combined_delete"),
    path("manage/<int:school>/electives/", parallel.electives, name="electives"),
    path("manage/<int:school>/electives/<int:pk>/", parallel.elective_block, name="elective_block"),
    path(
        "manage/<int:school>/electives/<int:pk>/roster.xlsx",
        parallel.elective_roster_template,
        name="elective_roster_template",
    ),
    path("groups/<int:pk>/", parallel.teaching_group_roster, name="teaching_group_roster"),
    path("choose/", choosing.choose, name="choose"),
    path(
        "manage/<int:school>/electives/<int:pk>/delete/", parallel.elective_block_delete, name="elective_block_delete"
    ),
    path(
        "manage/<int:school>/electives/groups/<int:pk>/delete/",
        parallel.teaching_group_delete,
        name="teaching_group_delete",
    ),
    # 教务: versions
    path("manage/<int:school>/versions/new/", versions.version_create, name="version_create"),
    path("versions/<int:pk>/", versions.version_detail, name="version"),
    path("versions/<int:pk>/progress/", versions.version_progress, name="version_progress"),
    path("versions/<int:pk>/solve/", versions.version_solve, name="version_solve"),
    path("versions/<int:pk>/publish/", versions.version_publish, name="version_publish"),
    path("versions/<int:pk>/copy/", versions.version_copy, name="version_copy"),
    path("versions/<int:pk>/export.xlsx", versions.version_export, name="version_export"),
    path("entries/<int:pk>/move/", versions.entry_move, name="entry_move"),
    path("entries/<int:pk>/lock/", versions.entry_lock, name="entry_lock"),
    # 调课/代课
    path("substitutions/", substitutions.substitution_list, name="substitutions"),
    path("substitutions/new/<int:entry>/", substitutions.substitution_new, name="substitution_new"),
    path("substitutions/<int:pk>/", substitutions.substitution_detail, name="substitution"),
    path("substitutions/<int:pk>/decide/", substitutions.substitution_decide, name="substitution_decide"),
    path("substitutions/<int:pk>/cancel/", substitutions.substitution_cancel, name="substitution_cancel"),
    path("manage/<int:school>/substitution-stats/", stats.substitution_stats, name="substitution_stats"),
    path(
        "manage/<int:school>/substitution-stats/export.xlsx",
        stats.substitution_stats_export,
        name="substitution_stats_export",
    ),
]
