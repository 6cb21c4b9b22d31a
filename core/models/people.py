from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from ..crypto import EncryptedCharField, blind_index, mask_id_number, mask_phone
from .base import ArchivableModel, ScopedModel, TimeStampedModel
from .org import Class, District, School, Subject, Term


class Gender(models.TextChoices):
    """GB/T 2261.1."""

    MALE = "1", _("男")
    FEMALE = "2", _("女")
    UNKNOWN = "0", _("未知")


class IdType(models.TextChoices):
    """身份证件类型 (学籍 code table)."""

    RESIDENT = "1", _("居民身份证")
    HK = "6", _("香港特区护照/身份证明")
    MACAU = "7", _("澳门特区护照/身份证明")
    TAIWAN = "8", _("台湾居民来往大陆通行证")
    PR = "9", _("境外永久居住证")
    PASSPORT = "A", _("护照")
    HOUSEHOLD = "B", _("户口簿")
    OTHER = "Z", _("其他")


class PersonQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = "view"):
        """A person is visible through any role they hold that the user can see (student, staff, guardian)."""
        students = Student.objects.visible_to(user, action).values("person_id")
        staff = StaffPost.objects.visible_to(user, action).values("person_id")
        guardians = Guardianship.objects.visible_to(user, action).values("guardian_id")
        q = models.Q(pk__in=students) | models.Q(pk__in=staff) | models.Q(pk__in=guardians)
        if action == "view" and getattr(user, "is_authenticated", False) and user.is_active and user.person_id:
            q |= models.Q(pk=user.person_id)
        return self.filter(q)


class Person(TimeStampedModel):
    """One record per human (一人一号): a teacher who is also a parent is one Person."""

    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, default=Gender.UNKNOWN)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    ethnicity = models.CharField(_("民族"), max_length=2, blank=True, help_text=_("GB 3304 代码"))
    id_type = models.CharField(_("身份证件类型"), max_length=1, choices=IdType.choices, default=IdType.RESIDENT)
    id_number = EncryptedCharField(_("身份证件号"), blank=True, default="")
    id_number_index = models.CharField(max_length=40, null=True, blank=True, unique=True, editable=False)
    phone = EncryptedCharField(_("手机号"), blank=True, default="")
    phone_index = models.CharField(max_length=40, blank=True, default="", db_index=True, editable=False)

    objects = PersonQuerySet.as_manager()

    SENSITIVE_FIELDS = ("id_number", "phone")

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.refresh_indexes()
        super().save(*args, **kwargs)

    def refresh_indexes(self):
        for name, value in self.index_values(self.id_type, self.id_number, self.phone).items():
            setattr(self, name, value)

    @staticmethod
    def index_values(id_type: str, id_number: str | None, phone: str | None = "") -> dict:
        """The blind-index columns for these values (also used by bulk writers that skip save())."""
        return {
            "id_number_index": blind_index(f"{id_type}:{id_number}", "id") if id_number else None,
            "phone_index": blind_index(phone, "phone") if phone else "",
        }

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class User(AbstractUser):
    """Login account; exactly one per Person. Names live on Person."""

    person = models.OneToOneField(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="user", verbose_name=_("人员")
    )
    session_epoch = models.PositiveIntegerField(default=0, editable=False)
    must_change_password = models.BooleanField(_("下次登录须修改密码"), default=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.person.name if self.person_id else self.username

    def get_session_auth_hash(self):
        # Bumping session_epoch ("退出所有设备", deactivation, role change) invalidates every session.
        return salted_hmac("zhixiao.session", f"{self.password}:{self.session_epoch}", algorithm="sha256").hexdigest()


class StudentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("在读")
    SUSPENDED = "suspended", _("休学")
    TRANSFERRED = "transferred", _("转出")
    GRADUATED = "graduated", _("毕业")
    DROPPED = "dropped", _("辍学")


class Student(ScopedModel, ArchivableModel):
    """A student's enrolment at a school (the 学籍 module builds the lifecycle on top of this)."""

    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="student", verbose_name=_("人员"))
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", editable=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="students", verbose_name=_("学校"))
    klass = models.ForeignKey(Class, on_delete=models.PROTECT, related_name="students", verbose_name=_("班级"))
    # The national 学籍号 is "G" + 身份证号: as sensitive as the ID number, so encrypted with a blind index.
    student_no = EncryptedCharField(_("学籍号"))
    student_no_index = models.CharField(max_length=40, unique=True, null=True, blank=True, editable=False)
    class_no = models.PositiveSmallIntegerField(_("班内学号"), null=True, blank=True)
    status = models.CharField(_("学籍状态"), max_length=12, choices=StudentStatus.choices, default="enrolled")
    enrolled_on = models.DateField(_("入学日期"), null=True, blank=True)

    scope_paths = {
        "district": "district_id",
        "school": "school_id",
        "grade": "klass__grade_id",
        "klass": "klass_id",
        "student": "pk",
    }

    class Meta:
        verbose_name = _("学生")
        verbose_name_plural = _("学生")
        ordering = ["klass_id", "class_no", "id"]
        indexes = [
            models.Index(fields=["school", "status"]),
            models.Index(fields=["district", "status"]),
            models.Index(fields=["klass", "class_no"]),
        ]

    def __str__(self):
        return self.person.name

    def save(self, *args, **kwargs):
        self.refresh_indexes()
        super().save(*args, **kwargs)

    def clean(self):
        self.refresh_indexes()
        clash = Student.objects.filter(student_no_index=self.student_no_index).exclude(pk=self.pk)
        if self.student_no_index and clash.exists():
            raise ValidationError({"student_no": _("该学籍号已被使用")})

    def refresh_indexes(self):
        self.student_no = (self.student_no or "").strip().upper()
        self.student_no_index = self.student_no_lookup(self.student_no) if self.student_no else None

    @staticmethod
    def student_no_lookup(value: str) -> str:
        return blind_index(value.strip().upper(), "student_no")

    @property
    def student_no_masked(self) -> str:
        """学籍号 with any embedded ID number masked (G330211********0018)."""
        number = self.student_no or ""
        digits = number[1:] if number[:1].isalpha() else number
        if len(digits) >= 15:
            return number[: len(number) - len(digits)] + mask_id_number(digits)
        return number


class Post(models.TextChoices):
    """岗位."""

    PRINCIPAL = "principal", _("校长")
    VICE_PRINCIPAL = "vice_principal", _("副校长")
    ACADEMIC_DIRECTOR = "academic_director", _("教务主任")
    MORAL_DIRECTOR = "moral_director", _("德育主任")
    GRADE_LEADER = "grade_leader", _("年级组长")
    TEACHER = "teacher", _("专任教师")
    STAFF = "staff", _("职员")


class StaffPost(ScopedModel, ArchivableModel):
    """A post held by a person at a school; a 交流教师 holds posts at two schools."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="staff_posts", verbose_name=_("人员"))
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="staff_posts", verbose_name=_("学校"))
    post = models.CharField(_("岗位"), max_length=20, choices=Post.choices, default=Post.TEACHER)
    staff_no = models.CharField(_("工号"), max_length=20, blank=True)
    main_subject = models.ForeignKey(
        Subject, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("任教学科")
    )
    is_primary = models.BooleanField(_("主岗"), default=True)
    started_on = models.DateField(_("到岗日期"), null=True, blank=True)

    scope_paths = {"district": "school__district_id", "school": "school_id"}

    class Meta:
        verbose_name = _("教职工岗位")
        verbose_name_plural = _("教职工岗位")
        ordering = ["school_id", "post", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "school", "post"],
                condition=models.Q(archived_at__isnull=True),
                name="staffpost_unique_active",
            )
        ]

    def __str__(self):
        return f"{self.person.name} · {self.school.name} · {self.get_post_display()}"


class TeachingAssignment(ScopedModel, TimeStampedModel):
    """任课安排: a teacher teaches a subject to a class in a term."""

    teacher = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="teaching_assignments", verbose_name=_("任课教师")
    )
    klass = models.ForeignKey(
        Class, on_delete=models.PROTECT, related_name="teaching_assignments", verbose_name=_("班级")
    )
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+", verbose_name=_("学科"))
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="+", verbose_name=_("学期"))
    periods_per_week = models.PositiveSmallIntegerField(_("周课时"), default=0)

    scope_paths = {
        "district": "klass__school__district_id",
        "school": "klass__school_id",
        "grade": "klass__grade_id",
        "klass": "klass_id",
    }

    class Meta:
        verbose_name = _("任课安排")
        verbose_name_plural = _("任课安排")
        constraints = [
            models.UniqueConstraint(fields=["klass", "subject", "term"], name="teaching_one_teacher_per_subject")
        ]

    def __str__(self):
        return f"{self.klass} {self.subject} {self.teacher}"


class Relation(models.TextChoices):
    FATHER = "1", _("父亲")
    MOTHER = "2", _("母亲")
    GRANDPARENT = "3", _("祖父母或外祖父母")
    SIBLING = "4", _("兄弟姐妹")
    OTHER = "9", _("其他")


class Guardianship(ScopedModel, TimeStampedModel):
    """家长—学生绑定. A family may have several children in different schools."""

    guardian = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="wards", verbose_name=_("家长"))
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="guardianships", verbose_name=_("学生"))
    relation = models.CharField(_("关系"), max_length=1, choices=Relation.choices)
    is_legal_guardian = models.BooleanField(_("监护人"), default=True)
    is_primary_contact = models.BooleanField(_("主要联系人"), default=False)

    scope_paths = {
        "district": "student__district_id",
        "school": "student__school_id",
        "grade": "student__klass__grade_id",
        "klass": "student__klass_id",
        "student": "student_id",
    }

    class Meta:
        verbose_name = _("家长绑定")
        verbose_name_plural = _("家长绑定")
        constraints = [models.UniqueConstraint(fields=["guardian", "student"], name="guardianship_unique")]

    def __str__(self):
        return f"{self.guardian} → {self.student}（{self.get_relation_display()}）"
