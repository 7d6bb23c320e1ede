"""A version-2 standard to test with (the shapes of a real company's 品质检查标准): groups (分项), multi-clause
items with a ``per: all`` clause, samples scored in proportion, bonus and penalty rows, inspection methods.

Total applicable 14 (8 + 6; the bonus/penalty section has 0 points).
"""

from __future__ import annotations

from typing import Any

import yaml

V2_STANDARD_YAML = """
id: v2-standard
version: "A/1"
title: 客服中心品质检查标准（测试）
kind: standard
subject: site
sections:
  - id: internal
    title: 内部管理
    points: 8
    items:
      - id: "1.1"
        text: 流程制度齐全、为最新版本并适用于项目实际
        points: 3
        method: records
        scoring: deduct
        source: test
        rules:
          - {id: a, text: 缺失关键规程、重要节点, per: 0.5}
          - {id: b, text: 现场使用失效版本文件, per: 0.5}
          - {id: c, text: 不适用且无上报修正记录, per: all}
      - id: "1.2"
        title: BI规范
        points: 2
        items:
          - {id: "1.2.1", text: 员工仪容仪表符合规定, points: 1, scoring: deduct, per: 0.5, source: test}
          - {id: "1.2.2", text: 接听电话使用标准用语, points: 1, source: test, method: mystery}
      - id: "1.3"
        text: 前台接待服务规范
        points: 3
        scoring: deduct
        source: test
        rules:
          - {id: a, text: 未起身问候, per: 0.2}
          - {id: b, text: 未使用礼貌用语, per: 0.3}
          - {id: c, text: 未登记来访, per: 1}
          - {id: d, text: 与业主发生争执, per: all}
  - id: records
    title: 客户服务
    points: 6
    items:
      - {id: "2.1", text: 业户档案一户一档, points: 4, method: records, scoring: sample, min_sample: 10, source: test}
      - {id: "2.2", text: 报修回访记录完整, points: 2, method: phone, scoring: sample, min_sample: 5, na: true,
         source: test}
  - id: extra
    title: 加减分
    points: 0
    items:
      - {id: "3.1", text: 受到业主书面表扬, scoring: bonus, per: 0.5, max: 1, source: test}
      - {id: "3.2", text: 发生重大有效投诉, scoring: penalty, per: 2, source: test}
"""


# a clause text as an imported sheet might carry it: markup, a markdown image, a newline, 300 characters
HOSTILE_CLAUSE = ("未起身问候<img src=x onerror=alert(1)><iframe srcdoc='<script>alert(2)</script>'>"
                  "![x](http://evil.example/x.png)\n**粗体**" + "长" * 200)


def v2_standard_doc(*, hostile: bool = False) -> dict[str, Any]:
    """The standard as a document; ``hostile`` puts :data:`HOSTILE_CLAUSE` as clause A of item 1.3."""
    doc: dict[str, Any] = yaml.safe_load(V2_STANDARD_YAML)
    if hostile:
        doc["sections"][0]["items"][2]["rules"][0]["text"] = HOSTILE_CLAUSE
    return doc
