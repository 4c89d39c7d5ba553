"""Cues of the situation a request is set in: what is at stake (health, money, law, family,
work, a business, a production system), the constraints, the options on the table, the user
speaking of their own life or organisation, and quantities spelled out in words (digits are
counted structurally, in ``features.py``).

Same format, matching and provenance as ``cues_asks.py``.
"""

STAKES = {
    "health": {
        "en": "doctor*|gp|physician*|surgeon*|surgery|operation|hospital*|clinic*|diagnos*|symptom*|medication*"
              "|medicine|drug*|pill*|dose|dosage|statin*|treatment*|therap*|cancer|tumou*|disease*|dementia"
              "|diabetes|stroke|heart|blood pressure|cholesterol|ldl|asthma|pregnan*|birth|allerg*|pain|injur*"
              "|kidney*|liver|bleed*|infection*|vaccin*|mental health|depress*|anxiety|vet|health|patient*"
              "|consultant|cardiolog*|oncolog*|prescri*|side effect*|risk factor*",
        "es": "medico*|doctor*|cirugia|operacion|hospital|diagnostic*|sintoma*|medicament*|tratamiento*|cancer"
              "|enfermedad*|diabetes|corazon|tension|embarazo|dolor|pediatra|cardiolog*|salud|paciente",
        "pt": "medico*|medica|cirurgia|hospital|diagnostic*|sintoma*|remedio*|medicament*|tratamento*|cancer"
              "|doenca*|diabetes|coracao|pressao|gravidez|dor|ortopedista|fisioterapia|saude|paciente",
        "fr": "medecin*|chirurg*|operation|hopital|diagnostic*|symptome*|medicament*|traitement*|cancer|maladie*"
              "|diabete*|coeur|tension|grossesse|douleur|veto|veterinaire|urolog*|sante|patient",
        "de": "arzt|arztin|arzte|hausarzt|chirurg*|operation|op|krankenhaus|klinik|diagnos*|symptom*|medikament*"
              "|blutverdunner|behandlung*|therapie|krebs|krankheit*|diabetes|herz*|blutdruck|schwanger*|schmerz*"
              "|kardiolog*|orthopad*|gesundheit|patient*|befund|physio",
        "it": "medico|medici|chirurg*|intervento|operazione|ospedale|diagnos*|sintom*|farmac*|terapia|cura|cancro"
              "|tumore|malattia|diabete|cuore|pressione|gravidanza|dolore|anestesia|salute|paziente",
        "ru": "врач*|хирург*|операци*|больниц*|диагноз*|симптом*|лекарств*|лечени*|рак|болезн*|диабет*|сердц*"
              "|давлени*|беременн*|боль|анализ*|эндокринолог*|здоровь*|пациент*",
        "hi": "डॉक्टर|ऑपरेशन|सर्जरी|अस्पताल|बीमारी|दवा|दवाइयाँ|इलाज|कैंसर|शुगर|डायबिटीज़|बीपी|दिल|दर्द"
              "|फ़िज़ियोथेरेपी|स्वास्थ्य|सेहत|मरीज़",
        "zh": "医生|医院|手术|诊断|症状|药|治疗|癌|肿瘤|结节|疾病|糖尿病|高血压|心脏|怀孕|疼|体检|健康|病人|副作用|检查",
        "ja": "医師|医者|主治医|病院|手術|診断|症状|薬|治療|がん|癌|病気|糖尿病|高血圧|心臓|妊娠|痛み|頭痛|健康|患者|副作用|検査|眼科",
        "ko": "의사|병원|수술|진단|증상|약|치료|암|질환|당뇨|고혈압|심장|임신|통증|재활|건강|환자|부작용|검사|주사",
        "ar": "الطبيب|طبيب|المستشفى|عملية|جراحة|التشخيص|أعراض|دواء|الأدوية|علاج|سرطان|مرض|السكري|الضغط|القلب|حامل"
              "|ألم|صحة|المريض",
    },
    "money": {
        "en": "salary|income|earn*|pay cut|raise|bonus|savings|saved|invest*|index fund*|stocks|shares|equity"
              "|pension|retire*|mortgage|loan*|debt|interest rate|rent|rental|deposit|down payment|budget|cost*"
              "|price*|fees|revenue|profit*|margin*|runway|cash|valuation|funding|seed round|burn|tax*|inheritance"
              "|insurance|k a month|a month|per month|a year|per year",
        "es": "sueldo|salario|ingresos|ahorro*|invertir|inversion|pension|jubila*|hipoteca|prestamo|deuda|alquiler"
              "|presupuesto|coste*|costo*|precio*|facturacion|ventas|beneficio*|margen|impuestos|euros|dolares",
        "pt": "salario|renda|ganho|economia*|investir|investimento|aposentadoria|financiamento|emprestimo|divida"
              "|aluguel|orcamento|custo*|preco*|faturamento|vendas|lucro|margem|impostos|reais",
        "fr": "salaire|revenu*|gagne|epargne|investir|placement|retraite|pret|credit|dette|loyer|budget|cout*|prix"
              "|chiffre d'affaires|ventes|benefice*|marge|impots|euros",
        "de": "gehalt|einkommen|verdien*|erspart*|sparen|invest*|aktien|rente|altersvorsorge|kredit|darlehen"
              "|schulden|miete|budget|kosten|preis*|umsatz|gewinn|marge|steuer*|abfindung|euro",
        "it": "stipendio|reddito|guadagn*|risparmi*|investi*|pensione|mutuo|prestito|debito|affitto|budget|costi"
              "|prezzo|fatturato|vendite|utile|margine|tasse|euro",
        "ru": "зарплат*|доход*|сбережени*|накоплени*|инвест*|пенси*|ипотек*|кредит*|долг*|аренд*|бюджет*|стоимост*"
              "|цен*|выручк*|прибыл*|марж*|налог*|рубл*|миллион*|тысяч*",
        "hi": "सैलरी|वेतन|कमाता|कमाई|बचत|निवेश|पेंशन|लोन|कर्ज़|किराया|बजट|खर्च|कीमत|बिक्री|मुनाफ़ा|कमीशन|लाख|करोड़"
              "|रुपये",
        "zh": "工资|年薪|月薪|收入|存款|积蓄|投资|基金|养老|退休|房贷|贷款|利率|债|房租|租金|预算|成本|价格|营收|利润|税|万|元",
        "ja": "年収|給料|収入|貯金|投資|年金|退職|住宅ローン|ローン|借金|家賃|予算|費用|コスト|価格|売上|利益|税|万円|円",
        "ko": "연봉|월급|수입|저축|모아 둔 돈|투자|연금|대출|빚|전세|월세|임대료|예산|비용|가격|매출|수익|이익|세금|만 원|억",
        "ar": "راتب|الراتب|دخل|مدخرات|استثمار|تقاعد|قرض|دين|إيجار|الإيجار|ميزانية|تكلفة|سعر|مبيعات|أرباح|ربح|ضريبة"
              "|ريال|دينار|جنيه|دولار|يورو",
    },
    "law": {
        "en": "contract|clause|lease|landlord|tenant|tenancy|lawyer|attorney|legal*|law|laws|court|sue|lawsuit"
              "|rights|liable|liability|licen*|gdpr|compliance|regulat*|non-compete|notice period|evict*|visa",
        "es": "contrato|clausula|casero|inquilino|abogado|legal|ley|derechos|demanda|juzgado|despido",
        "pt": "contrato|clausula|proprietario|inquilino|advogado|legal|lei|direitos|justica|processo|rescisao"
              "|demitido",
        "fr": "contrat|clause|proprietaire|locataire|avocat|juridique|loi|droits|tribunal|licenciement|rupture",
        "de": "vertrag|klausel|vermieter|mieter|anwalt|rechtlich|gesetz|rechte|gericht|kundigung|klage",
        "it": "contratto|clausola|proprietario|inquilino|avvocato|legale|legge|diritti|tribunale|disdetta"
              "|licenziamento",
        "ru": "договор*|контракт*|арендодател*|юрист*|закон*|права|суд*|увольнени*|сокращени*",
        "hi": "कॉन्ट्रैक्ट|अनुबंध|मकान मालिक|वकील|कानून|अधिकार|कोर्ट",
        "zh": "合同|房东|律师|法律|法院|权利|赔偿|违约|劳动法|起诉",
        "ja": "契約|弁護士|法律|法的|裁判|権利|解雇|労働|大家さん",
        "ko": "계약|집주인|건물주|변호사|법적|법률|소송|권리|해고|권고사직",
        "ar": "العقد|عقد|صاحب الشقة|محامي|قانون|قانونياً|حقوق|محكمة|فصل",
    },
    "people": {
        "en": "my wife|my husband|my partner|my girlfriend|my boyfriend|my son|my daughter|my kids|my children"
              "|my mother|my mum|my mom|my father|my dad|my parents|my family|my sister|my brother|my friend|kids"
              "|children|a baby|toddler|pregnant|my boss|my manager|my team|my employees|our team|our staff"
              "|our customers|customers|clients|users|employees|staff|students|patients",
        "es": "mi marido|mi mujer|mi esposa|mi pareja|mi hijo|mi hija|mis hijos|mi madre|mi padre|mis padres"
              "|mi familia|niños|clientes|usuarios|empleados|equipo",
        "pt": "minha esposa|meu marido|minha mulher|meu filho|minha filha|meus filhos|minha mae|meu pai|meus pais"
              "|familia|criancas|clientes|usuarios|funcionarios|equipe",
        "fr": "ma femme|mon mari|mon compagnon|ma compagne|mon fils|ma fille|mes enfants|ma mere|mon pere"
              "|mes parents|famille|enfants|clients|utilisateurs|salaries|equipe",
        "de": "meine frau|mein mann|mein partner|meine partnerin|mein sohn|meine tochter|die kinder|meine mutter"
              "|mein vater|meine eltern|familie|kinder|kunden|nutzer|mitarbeiter|team",
        "it": "mia moglie|mio marito|la mia compagna|mio figlio|mia figlia|i bambini|mia madre|mio padre|i miei"
              "|famiglia|figli|clienti|utenti|dipendenti|squadra",
        "ru": "жена|муж|сын|дочь|дочка|дети|мама|маме|отец|папа|родители|семья|клиенты|пользовател*|сотрудник*"
              "|команд*",
        "hi": "पत्नी|पति|बेटा|बेटी|बच्चे|माँ|माता|पिता|पापा|माता-पिता|परिवार|ग्राहक|यूज़र|कर्मचारी|टीम",
        "zh": "老婆|老公|妻子|丈夫|女朋友|男朋友|孩子|儿子|女儿|妈妈|爸爸|父母|家人|客户|用户|员工|团队",
        "ja": "妻|夫|子ども|子供|息子|娘|母|父|親|家族|顧客|ユーザー|社員|従業員|チーム",
        "ko": "아내|남편|아이|아들|딸|엄마|어머니|아버지|부모님|가족|고객|사용자|직원|팀",
        "ar": "زوجتي|زوجي|ابني|ابنتي|أطفال|والدتي|والدي|أمي|أبي|العائلة|الأسرة|العملاء|المستخدمين|الموظفين|الفريق",
    },
    "work": {
        "en": "my job|new job|a job|job offer|dream job|day job|job market|offer|career|quit|resign*|promotion|hire"
              "|hiring|fired|laid off|redundan*|startup|company|business|firm|agency|shop|store|restaurant|bakery"
              "|client|customer|market|competitor*|product|launch|investor*|board|co-founder|cofounder|partner*|phd"
              "|mba|university|degree|school|bootcamp",
        "es": "trabajo|empleo|oferta|puesto|carrera|dejar el trabajo|empresa|negocio|tienda|restaurante|cliente"
              "|competencia|producto|universidad|colegio|master",
        "pt": "trabalho|emprego|proposta|vaga|carreira|largar o emprego|empresa|negocio|loja|restaurante|cliente"
              "|concorrencia|produto|faculdade|escola",
        "fr": "travail|emploi|poste|offre|carriere|quitter mon|entreprise|boutique|restaurant|client|concurrent*"
              "|produit|universite|ecole|prepa",
        "de": "jobangebot|neuen job|meinen job|stelle|angebot|karriere|kundig*|firma|unternehmen|betrieb|laden"
              "|kunde*|konkurrenz|produkt|studium|schule|gymnasium",
        "it": "lavoro|offerta|posto|carriera|lasciare il lavoro|azienda|impresa|negozio|ristorante|cliente"
              "|concorrenza|prodotto|universita|scuola|liceo",
        "ru": "работ*|вакансi*|предложени*|должност*|карьер*|уволиться|компани*|бизнес*|магазин*|клиент*|конкурент*"
              "|продукт*|вуз*|институт*|школ*|колледж*",
        "hi": "नौकरी|ऑफ़र|करियर|कंपनी|व्यापार|दुकान|बिज़नेस|ग्राहक|कॉलेज|स्कूल|स्टार्टअप",
        "zh": "工作|岗位|辞职|跳槽|公司|创业|生意|店|客户|竞争|产品|学校|大学|国企|外派",
        "ja": "仕事|転職|会社|退職|起業|店|顧客|競合|商品|学校|大学|受験|ベンチャー",
        "ko": "회사|직장|이직|퇴사|창업|가게|사업|고객|경쟁|제품|학교|대학|학원|스타트업",
        "ar": "وظيفة|وظيفتي|العمل|عرض|شركة|مشروع|محل|مطعم|العملاء|منافس|المنتج|جامعة|مدرسة",
    },
    "systems": {
        "en": "production|prod|in prod|outage|downtime|incident|users see|customers see|data loss|security|attacker"
              "|breach|vulnerab*|leak*|pen test|pentest|scal*|latency|throughput|p99|p50|oom*|memory|cpu|database"
              "|replica*|cluster|queue|kafka|postgres|redis|kubernetes|architecture|migrat*|monolith|microservice*"
              "|api|sla|release",
        "es": "produccion|caida|se cae|usuarios|seguridad|latencia|base de datos|arquitectura|migrar|rendimiento",
        "pt": "producao|cai|fora do ar|usuarios|seguranca|latencia|banco|arquitetura|migrar|desempenho",
        "fr": "production|panne|utilisateurs|securite|latence|base de donnees|architecture|migrer|performances",
        "de": "produktion|ausfall|nutzer|sicherheit|latenz|datenbank|architektur|migrier*|performance|last",
        "it": "produzione|down|utenti|sicurezza|latenza|database|architettura|migrare|prestazioni|carico",
        "ru": "прод*|продакшн*|падени*|пользовател*|безопасност*|задержк*|база|архитектур*|миграци*|нагрузк*",
        "hi": "सर्वर|यूज़र|सिक्योरिटी|डेटाबेस|धीमी|क्रैश",
        "zh": "线上|生产环境|宕机|故障|超时|用户|安全|延迟|数据库|架构|迁移|并发|负载|性能|崩溃",
        "ja": "本番|障害|ユーザー|セキュリティ|遅延|データベース|アーキテクチャ|移行|負荷|性能|クラッシュ",
        "ko": "운영 서버|운영|장애|사용자|보안|지연|데이터베이스|아키텍처|마이그레이션|부하|성능|크래시",
        "ar": "الإنتاج|توقف|المستخدمين|الأمان|قاعدة البيانات|البنية|نقل|الأداء|الضغط",
    },
}

CONSTRAINT = {  # but, only, can't, a deadline, a budget
    "en": "but|however|although|though|even though|yet|only|can't|cannot|couldn't|won't|don't want|no more than"
          "|at most|at least|limited|budget|deadline|within|by friday|by tonight|before|without|unless|except"
          "|constraint*|requirement*|must|have to|need to|tight|stretch|afford|risk*|worried|scared|afraid|nervous"
          "|terrified",
    "es": "pero|sin embargo|aunque|solo|no puedo|no quiero|como mucho|al menos|presupuesto|plazo|antes de|sin"
          "|tiene que|tengo que|debe|ajustado|miedo|preocupa",
    "pt": "mas|porem|embora|nao posso|nao quero|no maximo|pelo menos|orcamento|prazo|antes de|sem|tem que|tenho que"
          "|precisa|apertado|medo|preocupa",
    "fr": "mais|cependant|pourtant|bien que|seulement|je ne peux pas|ne veut pas|au plus|au moins|budget|delai"
          "|avant|sans|doit|il faut|serre|peur|inquiet*",
    "de": "aber|jedoch|obwohl|allerdings|nur|kann nicht|will nicht|hochstens|mindestens|budget|frist|bis|vor|ohne"
          "|muss|mussen|knapp|angst|sorge*",
    "it": "ma|pero|tuttavia|anche se|solo|non posso|non vuole|al massimo|almeno|budget|scadenza|entro|prima|senza"
          "|deve|devo|stretto|paura|preoccup*",
    "ru": "но|однако|хотя|только|не могу|не хочет|не больше|максимум|минимум|бюджет|срок*|до|без|должен|нужно"
          "|придётся|придется|тяжело|боится|страшно|боюсь",
    "hi": "लेकिन|पर|मगर|हालाँकि|सिर्फ़|नहीं कर सकता|नहीं चाहते|बजट|समय सीमा|बिना|ज़रूरी|डर|चिंता|lekin|par",
    "zh": "但是|但|可是|不过|只有|只能|不能|不想|最多|至少|预算|截止|之前|必须|要求|限制|担心|害怕|紧张",
    "ja": "でも|しかし|ただ|けど|のに|だけ|できない|したくない|最大|少なくとも|予算|締め切り|までに|必要|心配|不安|怖",
    "ko": "하지만|그런데|근데|지만|는데|만|못|싫어|최대|적어도|예산|마감|까지|해야|걱정|무서|두려",
    "ar": "لكن|ولكن|مع أن|رغم|فقط|لا أستطيع|لا يريد|على الأقل|ميزانية|موعد|قبل|بدون|يجب|مضطر|قلق|خائف",
}

OPTIONS = {  # the alternatives laid out
    "en": "or|either|option*|alternative*|choice*|vs|versus|instead of|rather than|the first|the second|the other"
          "|both|two offers|two job offers|two options|three options|one option|plan b",
    "es": "o bien|opcion*|alternativa*|en lugar de|en vez de|la primera|la segunda|la otra|ambos|ambas",
    "pt": "ou|opcao|opcoes|alternativa*|em vez de|ao inves de|a primeira|a segunda|a outra|ambos|ambas",
    "fr": "ou|option*|alternative*|au lieu de|plutot que|la premiere|la seconde|l'autre|les deux|soit",
    "de": "oder|entweder|option*|alternative*|variante*|statt|anstatt|die erste|die zweite|die andere|beide",
    "it": "oppure|opzion*|alternativ*|invece di|piuttosto che|la prima|la seconda|l'altra|entrambi|entrambe",
    "ru": "или|либо|вариант*|альтернатив*|вместо|первый|второй|другой|оба|обе",
    "hi": "या|विकल्प|बजाय|पहला|दूसरा|दोनों|ya|ki jagah",
    "zh": "还是|或者|或是|选项|方案|选择|另一个|第一个|第二个|两个|三个选择|要么",
    "ja": "それとも|または|あるいは|か、|選択肢|案|もう一つ|一つ目|二つ目|両方|か迷",
    "ko": "아니면|또는|혹은|선택지|옵션|방안|다른 하나|첫 번째|두 번째|둘 다|할지",
    "ar": "أو|أم|خيار|خيارات|بديل|بدلاً من|الأول|الثاني|الآخر|كلاهما",
}

SELF = {  # the user speaking of their own life, team or organisation
    "en": "i'm|i am|i've|i have|i had|i was|i work|i run|i own|i earn|i make|i live|we're|we are|we have|we've"
          "|we had|we run|we own|we need|we want|we're deciding|our|ours|my|mine|me and|i just found out"
          "|i've been offered|i was offered|we were offered|i got offered|we got",
    "es": "tengo|tenemos|soy|somos|estoy|estamos|trabajo|vivo|vivimos|gano|mi|mis|nuestro|nuestra|nuestros|me han"
          "|nos han|me ofrecen|nos ofrece",
    "pt": "tenho|temos|sou|somos|estou|estamos|trabalho|moro|moramos|ganho|meu|minha|meus|minhas|nosso|nossa|recebi"
          "|me ofereceram",
    "fr": "j'ai|nous avons|je suis|nous sommes|je travaille|je gagne|j'habite|mon|ma|mes|notre|nos|on me propose"
          "|on nous propose",
    "de": "ich bin|ich habe|wir haben|wir sind|ich arbeite|ich verdiene|wir wohnen|mein|meine|meinen|unser|unsere"
          "|unseren|mir wurde|uns wurde",
    "it": "ho|abbiamo|sono|siamo|lavoro|guadagno|vivo|viviamo|mio|mia|miei|mie|nostro|nostra|nostri|mi offrono"
          "|ci offrono|mi hanno",
    "ru": "я|мне|меня|мой|моя|мои|моё|мое|мы|нам|нас|наш|наша|наши|у меня|у нас|работаю|живу|зарабатываю",
    "hi": "मैं|मेरा|मेरी|मेरे|मुझे|हम|हमारा|हमारी|हमारे|हमें|main|mera|meri|hum|hamara",
    "zh": "我|我们|我家|我的|我们的|本人|自己",
    "ja": "私|僕|俺|うち|我が家|弊社|当社|わたし|自分",
    "ko": "저는|제가|저희|나는|내가|우리|제 ",
    "ar": "أنا|عمري|لدي|لديّ|عندي|نحن|لدينا|عندنا|أعمل|أملك|نملك",
}

COUNTS = {  # quantities spelled out
    "en": "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred"
          "|thousand|million|billion|dozen|half|a third|a quarter|double|triple|twice",
    "es": "dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|veinte|treinta|cuarenta|cincuenta|cien|mil|millon*"
          "|mitad",
    "pt": "dois|duas|tres|quatro|cinco|seis|sete|oito|nove|dez|vinte|trinta|cem|mil|milhao|milhoes|metade",
    "fr": "deux|trois|quatre|cinq|six|sept|huit|neuf|dix|vingt|trente|quarante|cinquante|cent|mille|million*|moitie",
    "de": "zwei|drei|vier|funf|sechs|sieben|acht|neun|zehn|zwanzig|dreissig|hundert|tausend|million*|halb*",
    "it": "due|tre|quattro|cinque|sei|sette|otto|nove|dieci|venti|trenta|cento|mille|milion*|meta",
    "ru": "два|две|три|четыре|пять|шесть|семь|восемь|девять|десять|двадцать|тридцать|сто|тысяч*|миллион*|половин*",
    "hi": "दो|तीन|चार|पाँच|छह|सात|आठ|नौ|दस|बीस|तीस|सौ|हज़ार|लाख|करोड़|आधा",
    "zh": "两|二|三|四|五|六|七|八|九|十|百|千|万|亿|半",
    "ja": "二|三|四|五|六|七|八|九|十|百|千|万|億|半",
    "ko": "다섯|여섯|일곱|여덟|아홉|스무|서른|마흔|예순|일흔|천만|백만|억|절반",
    "ar": "اثنين|اثنان|ثلاث*|أربع*|خمس*|ست|سبع*|ثمان*|تسع*|عشر*|عشرين|ثلاثين|مئة|مائة|ألف|مليون|نصف",
}
