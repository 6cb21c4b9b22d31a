from django.http import HttpResponse


def lockout_response(request, credentials, *args, **kwargs):
    return HttpResponse("登录失败次数过多，账号已锁定 30 分钟。", status=429)
