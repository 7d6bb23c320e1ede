"""UI strings: Simplified Chinese first, English available. Item texts stay as the standards wrote them."""

from __future__ import annotations

import streamlit as st

ZH: dict[str, str] = {
    "app": "品质巡检", "signin": "登录", "signout": "退出登录", "username": "用户名", "password": "密码",
    "bad_login": "用户名或密码错误", "first_admin": "首次使用：创建管理员账号", "create_admin": "创建管理员",
    "password_again": "再次输入密码", "passwords_differ": "两次输入的密码不一致",
    "inspect": "现场巡检", "self_check": "员工自查", "history": "检查记录", "checklists": "检查标准",
    "admin": "系统管理", "review": "月度考核", "actions": "整改跟踪", "training": "培训记录",
    "new_inspection": "新建检查", "my_drafts": "我的草稿（未提交）", "resume": "继续",
    "site": "管理处", "date": "日期", "shift": "班次", "subject": "检查对象", "subject_staff": "员工",
    "subject_site": "前台/管理处", "staff": "员工", "checklist": "检查表", "start": "开始检查",
    "no_sites": "您还没有分配管理处，请联系管理员。", "no_checklists": "没有可用的检查表。",
    "section": "部分", "progress": "进度", "score_so_far": "当前得分", "answered": "已答",
    "prev": "上一部分", "next": "下一部分", "to_review": "检查汇总", "back_to_items": "返回检查项",
    "saved": "已保存", "save_failed": "保存失败", "note": "备注", "add_note": "备注", "pts": "分",
    "pass": "合格", "fail": "不合格", "na": "不适用", "count_fmt": "{n}处", "critical_section": "本部分否决项",
    "critical_checklist": "一票否决", "evidence_required": "须拍照", "evidence_on_fail": "不合格须拍照",
    "unanswered": "未作答", "failed_items": "不合格项", "missing_photos": "缺少照片", "submit": "提交检查",
    "submitted": "已提交", "submit_blocked": "还不能提交", "result": "检查结果", "grade": "等级",
    "percent": "得分率", "awarded": "得分", "applicable": "适用分", "possible": "满分", "back_home": "返回",
    "draft": "草稿", "inspector": "检查人", "kind_supervisor": "督导检查", "kind_self_check": "员工自查",
    "amend": "修订（经理）", "amend_reason": "修订原因", "amended": "已修订", "no_records": "暂无记录",
    "month": "月份", "all": "全部", "detail": "详情", "source": "来源", "original": "原文",
    "reconstructed": "重构", "addition": "补充", "items": "项", "sections": "部分", "in_force": "启用",
    "users": "账号", "sites": "管理处", "staff_list": "员工", "add": "添加", "role": "角色", "name": "姓名",
    "post": "岗位", "code": "编号", "kind": "类型", "residential": "住宅小区", "sales_office": "销售案场",
    "lang": "Language / 语言", "photos": "照片", "add_photo": "照片", "take_photo": "拍照",
    "upload_photo": "从相册选择", "caption": "说明", "remove": "删除", "photo_saved": "照片已保存",
    "offline_hint": "每次点选都会立即保存到服务器；网络中断后重新连接即可继续。",
    "sign_in_hint": "请使用管理员分配的账号登录。",
    "unlock": "解除登录锁定", "session_ended": "登录已失效（已退出、已过期或账号已停用），请重新登录。", "welcome": "您好，{name}",
    "role_admin": "管理员", "role_manager": "经理", "role_supervisor": "品质督导", "role_staff": "员工",
    "self_check_intro": "上岗前请对照标准完成自查。自查结果单独保存，不计入督导评分。",
}

EN: dict[str, str] = {
    "app": "Pinzhi QA", "signin": "Sign in", "signout": "Sign out", "username": "Username", "password": "Password",
    "bad_login": "Wrong username or password", "first_admin": "First start: create the administrator",
    "create_admin": "Create administrator", "password_again": "Password again", "passwords_differ": "Passwords differ",
    "inspect": "Inspect", "self_check": "Self-check", "history": "Records", "checklists": "Standards",
    "admin": "Administration", "review": "Monthly review", "actions": "Corrective actions", "training": "Training",
    "new_inspection": "New inspection", "my_drafts": "My drafts (not submitted)", "resume": "Resume",
    "site": "Site", "date": "Date", "shift": "Shift", "subject": "Subject", "subject_staff": "Staff member",
    "subject_site": "Front desk / site", "staff": "Staff", "checklist": "Checklist", "start": "Start",
    "no_sites": "No site is assigned to you yet; ask the administrator.", "no_checklists": "No checklist available.",
    "section": "Section", "progress": "Progress", "score_so_far": "Score so far", "answered": "Answered",
    "prev": "Previous", "next": "Next", "to_review": "Review", "back_to_items": "Back to items",
    "saved": "Saved", "save_failed": "Not saved", "note": "Note", "add_note": "Note", "pts": " pts",
    "pass": "Pass", "fail": "Fail", "na": "N/A", "count_fmt": "{n}×", "critical_section": "Section veto",
    "critical_checklist": "Red line", "evidence_required": "Photo required", "evidence_on_fail": "Photo if failed",
    "unanswered": "Unanswered", "failed_items": "Failed items", "missing_photos": "Missing photos", "submit": "Submit",
    "submitted": "Submitted", "submit_blocked": "Cannot submit yet", "result": "Result", "grade": "Grade",
    "percent": "Percent", "awarded": "Awarded", "applicable": "Applicable", "possible": "Possible",
    "back_home": "Back", "draft": "Draft", "inspector": "Inspector", "kind_supervisor": "Supervisor",
    "kind_self_check": "Self-check", "amend": "Amend (manager)", "amend_reason": "Reason", "amended": "Amended",
    "no_records": "No records", "month": "Month", "all": "All", "detail": "Detail", "source": "Source",
    "original": "original", "reconstructed": "reconstructed", "addition": "addition", "items": " items",
    "sections": " sections", "in_force": "In force", "users": "Accounts", "sites": "Sites", "staff_list": "Staff",
    "add": "Add", "role": "Role", "name": "Name", "post": "Post", "code": "Code", "kind": "Kind",
    "residential": "Residential", "sales_office": "Sales office", "lang": "Language / 语言", "photos": "Photos",
    "add_photo": "Photo", "take_photo": "Camera", "upload_photo": "From gallery", "caption": "Caption",
    "remove": "Remove", "photo_saved": "Photo saved",
    "offline_hint": "Every tap is saved on the server at once; after a dropped connection just carry on.",
    "sign_in_hint": "Sign in with the account your administrator gave you.",
    "unlock": "Unlock sign-in", "session_ended": "Your session has ended (signed out, expired or account disabled). Please sign in again.", "welcome": "Hello, {name}",
    "role_admin": "Administrator", "role_manager": "Manager", "role_supervisor": "Supervisor", "role_staff": "Staff",
    "self_check_intro": "Check yourself against the standard before your shift. Self-checks are kept apart "
                        "from supervisor scores.",
}

# screens of issue 12 (kept in one block to ease merging)
ZH.update({
    "submit_blocked_n": "还不能提交：{n} 项需要处理（见上方列表，点 → 跳到该项）",
    "photo_required_missing": "必须附照片", "photo_or_reason_missing": "不合格须拍照（或填写无照片原因）",
    "no_photo_reason": "无照片原因", "no_photo_reason_hint": "无法拍照时，请写明原因（填写后即保存）；“须拍照”项不能以原因代替。",
    "discard": "放弃", "discard_yes": "确认放弃", "cancel": "取消",
    "discard_confirm": "放弃草稿「{title} · {subject}」？已填写的答案、备注和照片关联将被删除（审计日志保留记录）。",
    "draft_discarded": "草稿「{title}」已放弃。",
    "dup_draft": "同一班次、对象和检查表已有一份草稿（最后保存 {when}）。",
    "dup_resume": "继续已有草稿", "dup_new": "新建",
    "month_signed_start": "{site} {month} 月度考核已签字确认：该月不能再开始新的检查（如需补查请经理先重新开启）。",
    "signoff_confirm": "确认签字 {site} {month} 月度考核？签字后该月不能再修订或新增检查。未关闭整改 {open} 项，其中逾期 {overdue} 项：",
    "signoff_yes": "确认签字", "overdue_flag": "逾期", "open_flag": "未关闭", "due": "期限", "and_more": "另有 {n} 项未列出",
    "failed_first": "不合格项（{n}）", "no_failed": "没有不合格项",
    "display_name": "姓名（显示名）", "choose_role": "请选择角色", "choose_role_first": "请先选择角色（没有默认角色）",
    "site_code": "管理处编号", "site_name": "管理处名称", "staff_code": "员工编号",
})
EN.update({
    "submit_blocked_n": "Cannot submit yet: {n} items need attention (listed above; → jumps to the item)",
    "photo_required_missing": "Photo required", "photo_or_reason_missing": "Failed: photo (or a reason for none)",
    "no_photo_reason": "Reason for no photo", "no_photo_reason_hint": "If no photo can be taken, write why "
    "(saved when you leave the field); a 'photo required' item cannot be excused.",
    "discard": "Discard", "discard_yes": "Discard draft", "cancel": "Cancel",
    "discard_confirm": "Discard the draft \"{title} · {subject}\"? Its answers, notes and photo links are deleted "
    "(the audit log keeps a record).",
    "draft_discarded": "Draft \"{title}\" discarded.",
    "dup_draft": "There is already a draft for this shift, subject and checklist (last saved {when}).",
    "dup_resume": "Resume that draft", "dup_new": "Start a new one",
    "month_signed_start": "{month} of {site} is signed off: no new inspection can start in that month (a "
    "manager must reopen it first).",
    "signoff_confirm": "Sign off {site} for {month}? The month is then closed to amendments and new inspections. "
    "Open corrective actions: {open}, overdue: {overdue}:",
    "signoff_yes": "Sign off", "overdue_flag": "Overdue", "open_flag": "Open", "due": "due", "and_more": "{n} more not listed",
    "failed_first": "Failed items ({n})", "no_failed": "No failed items",
    "display_name": "Display name", "choose_role": "Choose a role", "choose_role_first": "Choose a role first (there is no default)",
    "site_code": "Site code", "site_name": "Site name", "staff_code": "Staff code",
})

# h11: the inspection screen's photo removal and no-photo reason
ZH.update({"remove_photo": "删除照片", "remove_photo_confirm": "再点一次删除",
           "no_photo_reason_placeholder": "无法拍照时写明原因（填写后即保存）"})
EN.update({"remove_photo": "Remove photo", "remove_photo_confirm": "Tap again to remove",
           "no_photo_reason_placeholder": "Why no photo can be taken (saved when you leave the field)"})


def lang() -> str:
    return "en" if st.session_state.get("lang") == "en" else "zh"


def t(key: str, **kw: object) -> str:
    table = EN if lang() == "en" else ZH
    text = table.get(key) or ZH.get(key) or key
    return text.format(**kw) if kw else text


# ----------------------------------------------------------------------------- close-out (signatures, result, PDF)
ZH.update({
    "sig_heading": "签字确认", "sig_intro": "请在框内用手指或触控笔签字，签好后点「保存签名」；被检查人不同意时可选择「拒签」并填写原因。",
    "sig_inspector": "检查人签字", "sig_subject_staff": "被检查人签字", "sig_subject_site": "前台负责人签字",
    "sig_lead_name": "前台负责人姓名", "sig_mode": "签字方式", "sig_mode_sign": "签字", "sig_mode_refuse": "拒签",
    "sig_refused": "拒签", "sig_refusal_reason": "拒签原因", "sig_refusal_placeholder": "请写明拒签原因（必填）",
    "sig_refuse_confirm": "确认拒签", "sig_redo": "重新签字", "sig_none": "未签字",
    "sig_clear": "清除", "sig_save": "保存签名", "sig_hint": "请在此处签字", "sig_aria": "签名框",
    "sig_pending": "还需签字后才能提交：{roles}",
    "sig_wait": "完成所有检查项（含照片要求）后再签字。", "sig_stale": "签字后检查内容有修改，请重新签字。",
    "report_pdf": "下载检查报告 PDF", "result_failed_n": "不合格项", "result_actions": "本次检查开出的整改（{n}）",
    "result_no_assignee": "未指定责任人",
})
EN.update({
    "sig_heading": "Signatures", "sig_intro": "Sign in the box with a finger or stylus, then tap 'Save signature'; "
    "if the inspected person does not agree, choose 'Refused to sign' and give the reason.",
    "sig_inspector": "Inspector's signature", "sig_subject_staff": "Inspected staff member's signature",
    "sig_subject_site": "Front-desk lead's signature",
    "sig_lead_name": "Front-desk lead's name", "sig_mode": "How", "sig_mode_sign": "Sign",
    "sig_mode_refuse": "Refused to sign",
    "sig_refused": "Refused to sign", "sig_refusal_reason": "Reason for refusing",
    "sig_refusal_placeholder": "Why the signature was refused (required)",
    "sig_refuse_confirm": "Confirm refusal", "sig_redo": "Sign again", "sig_none": "Not signed",
    "sig_clear": "Clear", "sig_save": "Save signature", "sig_hint": "Sign here", "sig_aria": "Signature box",
    "sig_pending": "Still to sign before submitting: {roles}",
    "sig_wait": "Sign once every item is done (photos included).",
    "sig_stale": "The inspection changed after this signature: please sign again.",
    "report_pdf": "Download the inspection report (PDF)", "result_failed_n": "Failed items",
    "result_actions": "Corrective actions opened by this inspection ({n})", "result_no_assignee": "no one assigned",
})


# issue 12 points 5 and 8 (ux helper): the staff phone screens
ZH.update({
    "ca_status": "状态", "ca_overdue_only": "只看逾期", "ca_overdue_n": "⚠ {n} 项已逾期",
    "ca_open": "待整改", "ca_fixed": "已整改待验证", "ca_verified": "已验证关闭", "ca_overdue": "逾期",
    "ca_meta": "{site} · 责任人 {staff} · 扣 {points} 分 · 开单 {opened} · 期限 {due}", "ca_reopened": "退回 {n} 次",
    "ca_finding": "检查发现", "ca_no_note": "检查人未填写备注", "ca_before": "整改前照片", "ca_after": "整改后照片",
    "ca_fix_note": "整改说明", "ca_verify_note": "验证/退回意见",
    "ca_report_fix": "提交整改", "ca_what_done": "整改说明（做了什么）", "ca_after_photo": "整改后照片",
    "ca_submit": "提交整改", "ca_fixed_ok": "整改已提交：{item}。状态已改为“已整改待验证”，等待督导验证。",
    "ca_verify": "验证通过", "ca_reopen": "退回重做", "ca_note": "验证意见",
})
EN.update({
    "ca_status": "Status", "ca_overdue_only": "Overdue only", "ca_overdue_n": "⚠ {n} overdue",
    "ca_open": "To fix", "ca_fixed": "Fixed, awaiting check", "ca_verified": "Verified, closed", "ca_overdue": "Overdue",
    "ca_meta": "{site} · assigned to {staff} · −{points} pts · opened {opened} · due {due}",
    "ca_reopened": "sent back {n}×",
    "ca_finding": "Finding", "ca_no_note": "The inspector wrote no note", "ca_before": "Before",
    "ca_after": "After", "ca_fix_note": "Fix", "ca_verify_note": "Check note",
    "ca_report_fix": "Report the fix", "ca_what_done": "What was done", "ca_after_photo": "Photo after the fix",
    "ca_submit": "Submit the fix", "ca_fixed_ok": "Fix submitted: {item}. The status is now \"fixed, awaiting "
    "check\"; a supervisor will verify it.",
    "ca_verify": "Verify", "ca_reopen": "Send back", "ca_note": "Check note",
})


# ----------------------------------------------------------------------------- standards workshop (catalog)
ZH.update({
    "standards": "标准管理", "role_qa": "品质部",
    "std_denied": "权限不足：标准管理仅限品质部和管理员",
    "std_tab_work": "上传与发布", "std_tab_versions": "版本",
    "std_upload": "上传标准文件（Excel .xlsx 或 YAML）", "std_id": "检查表编号",
    "std_id_help": "Excel 文件必填：小写字母、数字、- _，例如 acme-community；沿用已有编号即为该检查表的新版本",
    "std_read": "读取", "std_no_file": "请先选择文件",
    "std_start": "上传品质部的标准文件（Excel 或 YAML），或在“版本”中打开一个已发布版本进行修订。",
    "std_rows": "{n} 个检查项 · {p} 个问题",
    "std_problems": "发现 {n} 个问题（已在下表中标红）：请在表格中修正后点“校验”，或修改文件后重新上传。",
    "std_reupload": "文件无法读成表格：请修改文件后重新上传。",
    "std_table": "解析结果（问题单元格标红）", "std_grid": "在表格中修正",
    "std_grid_help": "直接修改单元格；可增删行。部分、分项单元格写“标题（N分）”。改完点“校验”。",
    "std_validate": "校验", "std_valid": "校验通过",
    "std_edited": "在表格中修改过的检查项（保留原出处，标记修改人）：{items}",
    "std_diff": "与现行版本 {label} 比较", "std_new_checklist": "新检查表：尚无现行版本",
    "std_total_before": "现行总分", "std_total_after": "新版总分",
    "std_added": "新增", "std_removed": "删除", "std_reworded": "改写", "std_repointed": "改分值",
    "std_rescored": "改评分方式", "std_change": "变化", "std_before": "原内容", "std_after": "新内容",
    "std_unchanged": "与现行版本相同",
    "std_publish_head": "发布为新版本", "std_label": "版本号", "std_reason": "发布原因",
    "std_site_kinds": "适用项目类型", "std_publish": "发布",
    "std_published": "已发布 {id} 版本 {label}，现行于：{kinds}",
    "std_same": "内容与已发布的版本完全相同，未新增版本。",
    "std_status": "状态", "std_status_in_force": "现行", "std_status_published": "已发布（未启用）",
    "std_status_retired": "已停用", "std_status_frozen": "历史",
    "std_published_by": "发布人", "std_published_at": "发布时间", "std_file": "来源文件",
    "std_shipped": "系统预置", "std_version": "版本",
    "std_download_yaml": "下载 YAML", "std_download_xlsx": "下载 Excel",
    "std_open": "在工作台中打开（据此修订）", "std_opened": "已在“上传与发布”中打开",
    "std_retire": "停用此版本", "std_retire_reason": "停用原因",
    "std_retire_confirm": "确认停用版本 {label}（已开始的检查仍按原版本）",
    "std_retire_unconfirmed": "请先勾选确认", "std_retired": "版本 {label} 已停用。",
    "std_fallback": "上一个版本已恢复为现行版本。",
    "std_col_section": "部分", "std_col_group": "分项", "std_col_number": "编号", "std_col_text": "检查内容",
    "std_col_points": "分值", "std_col_rule": "评分标准", "std_col_method": "检查方式", "std_col_critical": "否决",
    "std_col_problems": "问题",
})
EN.update({
    "standards": "Standards workshop", "role_qa": "QA department",
    "std_denied": "Not allowed: the standards workshop is for the QA department and administrators",
    "std_tab_work": "Upload and publish", "std_tab_versions": "Versions",
    "std_upload": "Upload a standard (Excel .xlsx or YAML)", "std_id": "Checklist id",
    "std_id_help": "Required for Excel: a-z 0-9 - _, e.g. acme-community; an existing id makes a new version of "
    "that checklist",
    "std_read": "Read", "std_no_file": "Choose a file first",
    "std_start": "Upload the QA department's standard (Excel or YAML), or open a published version under "
    "Versions to revise it.",
    "std_rows": "{n} items · {p} problems",
    "std_problems": "{n} problems found (marked red below): fix them in the grid and press Validate, or fix the "
    "file and upload it again.",
    "std_reupload": "The file could not be read into a table: fix it and upload it again.",
    "std_table": "The standard as read (problem cells in red)", "std_grid": "Fix it in the grid",
    "std_grid_help": "Edit the cells; add or delete rows. Section and group cells read \"Title (N分)\". Press "
    "Validate when done.",
    "std_validate": "Validate", "std_valid": "Valid",
    "std_edited": "Items changed in the grid (their source is kept and the editor noted): {items}",
    "std_diff": "Difference against the version in force, {label}", "std_new_checklist": "A new checklist: no "
    "version in force yet",
    "std_total_before": "Total in force", "std_total_after": "New total",
    "std_added": "Added", "std_removed": "Removed", "std_reworded": "Reworded", "std_repointed": "Re-pointed",
    "std_rescored": "Scoring changed", "std_change": "Change", "std_before": "Before", "std_after": "After",
    "std_unchanged": "Same as the version in force",
    "std_publish_head": "Publish as a new version", "std_label": "Version label", "std_reason": "Reason",
    "std_site_kinds": "In force for", "std_publish": "Publish",
    "std_published": "Published {id} version {label}, in force for: {kinds}",
    "std_same": "The same text is published already; no new version.",
    "std_status": "Status", "std_status_in_force": "In force", "std_status_published": "Published (not in force)",
    "std_status_retired": "Retired", "std_status_frozen": "History",
    "std_published_by": "Published by", "std_published_at": "Published at", "std_file": "Source file",
    "std_shipped": "Shipped default", "std_version": "Version",
    "std_download_yaml": "Download YAML", "std_download_xlsx": "Download Excel",
    "std_open": "Open in the workshop (to revise it)", "std_opened": "Opened under Upload and publish",
    "std_retire": "Retire this version", "std_retire_reason": "Reason for retiring",
    "std_retire_confirm": "Retire version {label} (inspections already started keep it)",
    "std_retire_unconfirmed": "Tick the confirmation first", "std_retired": "Version {label} retired.",
    "std_fallback": " The previous version is in force again.",
    "std_col_section": "Section", "std_col_group": "Group", "std_col_number": "No.", "std_col_text": "Item",
    "std_col_points": "Points", "std_col_rule": "Scoring rule", "std_col_method": "Method",
    "std_col_critical": "Veto", "std_col_problems": "Problems",
})


# ---- standards language version 2 everywhere: the tablet screen, detail, Pareto per clause, bonus/penalty (v2)
ZH.update({
    "v2_no_deduction": "无扣分", "v2_all_no": "未发生", "v2_all_yes": "发生·本项不得分", "v2_each": "每处扣{x}分",
    "v2_all": "本项不得分", "v2_checked": "抽查", "v2_failed": "不合格", "v2_min_sample": "至少抽查{n}",
    "v2_bonus_each": "每次加{x}分", "v2_penalty_each": "每次另扣{x}分", "v2_max": "最多{x}分", "v2_times": "{n}次",
    "v2_adjust": "加分 +{b} · 另扣 −{p}", "v2_bonus": "加分", "v2_penalty": "另扣", "v2_sample_badge": "按比例扣分",
    "method_records": "查阅记录", "method_onsite": "现场查看", "method_mystery": "暗访", "method_phone": "电话",
    "method_interview": "询问",
    "v2_sample_fmt": "抽查{n}，不合格{k}", "v2_none_deducted": "无扣分",
    "v2_pareto_clauses": "扣分细则排行（多条款检查项：哪一条扣分最多）", "v2_clause": "细则", "v2_item": "检查项",
    "v2_lost": "扣分", "v2_times_col": "次数", "v2_inspections_col": "检查次数", "v2_adjustments": "加分与另扣",
    "v2_group": "分项", "v2_section": "部分", "v2_points": "分值",
})
EN.update({
    "v2_no_deduction": "No deduction", "v2_all_no": "No", "v2_all_yes": "Yes · item scores 0", "v2_each": "−{x} each",
    "v2_all": "item scores 0", "v2_checked": "Checked", "v2_failed": "Failed", "v2_min_sample": "check at least {n}",
    "v2_bonus_each": "+{x} each time", "v2_penalty_each": "−{x} more each time", "v2_max": "at most {x}",
    "v2_times": "{n}×", "v2_adjust": "Bonus +{b} · Penalty −{p}", "v2_bonus": "Bonus", "v2_penalty": "Penalty",
    "v2_sample_badge": "Proportional", "method_records": "Records", "method_onsite": "On site",
    "method_mystery": "Mystery visit", "method_phone": "Phone", "method_interview": "Interview",
    "v2_sample_fmt": "{n} checked, {k} failed", "v2_none_deducted": "No deduction",
    "v2_pareto_clauses": "Deductions by clause (multi-clause items: which clause cost the most)",
    "v2_clause": "Clause", "v2_item": "Item", "v2_lost": "Points lost", "v2_times_col": "Times",
    "v2_inspections_col": "Inspections", "v2_adjustments": "Bonus and penalties", "v2_group": "Group",
    "v2_section": "Section", "v2_points": "Points",
})
