from django.urls import path

from .views import account, admin, auth, home, org, people, settings

app_name = "core"
urlpatterns = [
    path("", home.home_view, name="home"),
    path("healthz", auth.healthz, name="healthz"),
    # accounts
    path("account/login/", auth.LoginView.as_view(), name="login"),
    path("account/logout/", auth.logout_view, name="logout"),
    path("account/otp/", auth.otp_view, name="otp"),
    path("account/activate/<uidb64>/<token>/", auth.ActivateView.as_view(), name="activate"),
    path("account/password/", auth.PasswordChangeView.as_view(), name="password_change"),
    path("account/", account.account_view, name="account"),
    path("account/tokens/new/", account.token_create_view, name="token_create"),
    path("account/tokens/<int:pk>/revoke/", account.token_revoke_view, name="token_revoke"),
    path("account/logout-everywhere/", account.logout_everywhere_view, name="logout_everywhere"),
    # org tree
    path("org/schools/", org.SchoolListView.as_view(), name="school_list"),
    path("org/schools/new/", org.school_create_view, name="school_create"),
    path("org/schools/<int:pk>/", org.school_detail_view, name="school_detail"),
    path("org/schools/<int:pk>/edit/", org.school_edit_view, name="school_edit"),
    path("org/schools/<int:pk>/archive/", org.school_archive_view, name="school_archive"),
    path("org/schools/<int:school_pk>/grades/new/", org.grade_create_view, name="grade_create"),
    path("org/schools/<int:school_pk>/staff/new/", people.staff_create_view, name="staff_create"),
    path("org/schools/<int:school_pk>/campuses/new/", settings.campus_create_view, name="campus_create"),
    path("org/base-data/", settings.base_data_view, name="base_data"),
    path("org/terms/<int:pk>/current/", settings.term_current_view, name="term_current"),
    path("org/subjects/<int:pk>/active/", settings.subject_active_view, name="subject_active"),
    path("org/grades/<int:pk>/", org.grade_detail_view, name="grade_detail"),
    path("org/grades/<int:pk>/archive/", org.grade_archive_view, name="grade_archive"),
    path("org/grades/<int:grade_pk>/classes/new/", org.class_create_view, name="class_create"),
    path("org/classes/", org.ClassListView.as_view(), name="class_list"),
    path("org/classes/<int:pk>/", org.class_detail_view, name="class_detail"),
    path("org/classes/<int:pk>/edit/", org.class_edit_view, name="class_edit"),
    path("org/classes/<int:pk>/archive/", org.class_archive_view, name="class_archive"),
    path("org/classes/<int:pk>/assignments/", org.assignment_set_view, name="assignment_set"),
    path("org/assignments/<int:pk>/remove/", org.assignment_remove_view, name="assignment_remove"),
    # people
    path("people/students/", people.StudentListView.as_view(), name="student_list"),
    path("people/students/<int:pk>/", people.student_detail_view, name="student_detail"),
    path("people/students/<int:pk>/guardians/new/", people.guardian_bind_view, name="guardian_bind"),
    path("people/guardianships/<int:pk>/remove/", people.guardian_unbind_view, name="guardian_unbind"),
    path("people/staff/", people.StaffListView.as_view(), name="staff_list"),
    path("people/parents/", people.ParentListView.as_view(), name="parent_list"),
    path("people/<int:pk>/", people.person_detail_view, name="person_detail"),
    path("people/<int:pk>/edit/", settings.person_edit_view, name="person_edit"),
    path("people/posts/<int:pk>/end/", settings.staff_post_end_view, name="staff_post_end"),
    path("people/<int:pk>/reveal/<str:field>/", people.person_reveal_view, name="person_reveal"),
    path("people/<int:pk>/activation/", people.account_activation_view, name="account_activation"),
    path("people/<int:pk>/active/", people.account_active_view, name="account_active"),
    # administration
    path("admin/roles/", admin.RoleGrantListView.as_view(), name="roles"),
    path("admin/roles/new/", admin.role_grant_create_view, name="role_grant_create"),
    path("admin/roles/<int:pk>/revoke/", admin.role_grant_revoke_view, name="role_grant_revoke"),
    path("admin/audit/", admin.AuditListView.as_view(), name="audit"),
]
