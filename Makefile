# 智校 Zhixiao — `make demo` 启动演示，`make test` 运行全部测试。
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test test-fast lint format bench install env serve logins lock clean-demo

$(BIN)/.installed: requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

install: $(BIN)/.installed

# Local secrets (Django key, personal-data encryption key). Never committed; back up .env with the database.
.env:
	@$(PYTHON) -c "import base64,os,secrets; open('.env','w').write('ZX_DEBUG=1\nZX_SECRET_KEY=%s\nZX_FIELD_KEY=%s\n' % (secrets.token_urlsafe(50), base64.urlsafe_b64encode(os.urandom(32)).decode()))"
	@echo "已生成 .env（含加密密钥，请妥善备份，勿提交到仓库）"

env: .env

demo: install .env
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "服务地址: http://$(HOST):$(PORT)/"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

serve: install .env
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

logins: install .env
	$(BIN)/python manage.py seed_demo --logins

test: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	ZX_SECRET_KEY=check ZX_FIELD_KEY=$$($(BIN)/python -c "import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())") DATABASE_URL=sqlite:///:memory: $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

test-fast: install
	$(BIN)/python -m pytest -q -x --ignore-glob='*test_browser*'

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install .env
	$(BIN)/python bench/scoped_list.py

# Re-resolve pinned versions after editing requirements.in.
lock: install
	$(BIN)/python -m pip install --quiet -r requirements.in
	$(BIN)/python -m pip freeze --exclude-editable > requirements.txt

clean-demo:
	rm -f var/zhixiao.sqlite3 var/zhixiao.sqlite3-wal var/zhixiao.sqlite3-shm
