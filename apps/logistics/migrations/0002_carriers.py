from django.db import migrations

# (code, name, waybill pattern, cold chain, own fleet, Kuaidi100 code)
CARRIERS = [
    ("sf", "顺丰速运", r"SF\d{12,13}", True, False, "shunfeng"),
    ("jd", "京东物流", r"JD[A-Z0-9]{13,18}", True, False, "jd"),
    ("zto", "中通快递", r"[3-7]\d{11}(\d{2})?", False, False, "zhongtong"),
    ("yto", "圆通速递", r"YT\d{13,16}", False, False, "yuantong"),
    ("sto", "申通快递", r"(77|88|66|55|22)\d{10,13}", False, False, "shentong"),
    ("yunda", "韵达快递", r"(31|43|46|12|19)\d{11,13}", False, False, "yunda"),
    ("ems", "邮政 EMS", r"(E[A-Z]\d{9}CN|1\d{12})", False, False, "ems"),
    ("jtexpress", "极兔速递", r"JT\d{13}", False, False, "jtexpress"),
    ("county", "田间县域配送", r"TJ\d{12}", True, True, ""),
]


def carriers_add(apps, schema_editor):
    Carrier = apps.get_model("logistics", "Carrier")
    for order, (code, name, pattern, cold, own, k100) in enumerate(CARRIERS, start=1):
        Carrier.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "tracking_pattern": pattern,
                "is_cold_chain": cold,
                "is_own_fleet": own,
                "kuaidi100_code": k100,
                "sort_order": order * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("logistics", "0001_initial")]

    operations = [migrations.RunPython(carriers_add, migrations.RunPython.noop)]
